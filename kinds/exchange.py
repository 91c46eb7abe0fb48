"""Prisoner exchanges, agreed or carried out, with how many people each side got back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import field_validator
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, _
from core.text import esc
from kinds.base import Change, ExportKeys, FactKind, KindSpec, Refs
from kinds.common import count_value, full_round, input_sources, people
from kinds.exchange_tables import BODIES, Exchange, ExchangeCount, ExchangeStage
from kinds.exchange_totals import refresh_year_total
from kinds.exchange_views import (
    ExchangeView,
    ReturnedCount,
    StageView,
    exchange_block,
    exchange_views,
    exchanges_select,
    split_count,
    stages_of,
    typed_count,
)
from kinds.extras import input_extras
from kinds.forms import Checker, FieldSpec, date_field, items, source_field
from kinds.round import round_snapshot
from kinds.vocabulary import labels_text
from store.facts import join_list, split_list
from store.models import Party
from store.transfer import Count, FactIn, Key, Label, Long, NonNegativeInt, Short, StrictModel


class StageIn(StrictModel):
    """One day of an exchange carried out over several days: who got how many back."""

    date: dt.date
    returned: dict[Key, NonNegativeInt | None]


class ExchangeIn(FactIn):
    """A prisoner exchange."""

    date: dt.date
    end_date: dt.date | None = None
    returned: dict[Key, Count] = {}
    categories: list[Label] = []
    mediator: Short | None = None
    status: Literal["agreed", "completed"] = "completed"
    round: Key | None = None
    note: Long | None = None
    stages: list[StageIn] = []

    @field_validator("categories")
    @classmethod
    def _bodies_alone(cls, value: list[str]) -> list[str]:
        if len(value) > 1 and any(c.casefold() == BODIES for c in value):
            raise ValueError(
                'returned bodies are an exchange of their own (categories: ["bodies"]), '
                "so that totals count them apart from living people"
            )
        return value


STATUS_CHOICES = {
    "completed": "completed",
    "complete": "completed",
    "done": "completed",
    "carried out": "completed",
    "agreed": "agreed",
    "planned": "agreed",
    "pending": "agreed",
    "announced": "agreed",
}


class ExchangeSpec(KindSpec[Exchange, ExchangeIn, ExchangeView]):
    """Prisoner exchanges."""

    kind = FactKind.EXCHANGE
    letter = "X"
    section = "exchanges"
    noun = N_("prisoner exchange")
    label = N_("Prisoner exchange")
    icon = "🔁"
    add_command = "exchange"
    add_help = N_("record a prisoner exchange")
    add_example = "/exchange + date:, returned:"
    where_shown = "/exchanges and /search"
    table = Exchange
    input = ExchangeIn
    fields = (
        date_field(),
        FieldSpec(
            "returned",
            True,
            N_("How many returned to each side? e.g. Ukraine 390, Russia 390 (? if not announced)"),
            ("counts", "numbers", "released"),
            Checker.counts,
        ),
        FieldSpec(
            "categories", False, N_("Who? e.g. soldiers, civilians (/skip)"), ("category", "who")
        ),
        FieldSpec("mediator", False, N_("Mediator? (/skip)"), ("via", "brokered by")),
        FieldSpec(
            "status",
            False,
            N_("Status: completed or agreed? (/skip = completed)"),
            ("state",),
            lambda c, v: c.choice("status", v, STATUS_CHOICES),
        ),
        FieldSpec("note", False, N_("Note? (/skip)"), ("notes", "comment")),
        FieldSpec(
            "stages",
            False,
            N_(
                "Carried out over several days? Each day as “23 May 2025 | 390 | 390”, the "
                "numbers in the order of “returned”, days separated by “;” (/skip)"
            ),
            ("stage", "days"),
        ),
        source_field(),
    )
    lead_field = "note"
    usage = (
        "<code>/exchange\ndate: 23 May 2025\nreturned: Ukraine 390, Russia 390\n"
        "categories: soldiers, civilians\nmediator: …\nstatus: completed\nsource: https://…</code>"
    )
    title_attr = "date"
    briefing_heading = N_("🔁 <b>Prisoner exchanges</b>")
    corrections_in_section = True
    translatable = ("note",)
    full_labels = {
        "status": N_("Status"),
        "date": N_("Date"),
        "end_date": N_("Until"),
        "returned": N_("Returned"),
        "categories": N_("Who"),
        "mediator": N_("Mediator"),
        "round": N_("Agreed at"),
        "note": N_("Note"),
    }

    async def load(self, session: AsyncSession, ids: Sequence[int]) -> list[ExchangeView]:
        rows = (await session.exec(exchanges_select().where(col(Exchange.id).in_(ids)))).all()
        return await exchange_views(session, rows)

    def new_row(self, item: ExchangeIn, refs: Refs, label: str) -> Exchange | None:
        parties = [refs.party(label, key, at=f"returned.{key}") for key in item.returned]
        parties += [
            refs.party(label, key, at=f"stages[{i}].returned.{key}")
            for i, stage in enumerate(item.stages)
            for key in stage.returned
        ]
        round_id = refs.fact(label, FactKind.ROUND, item.round)
        if any(p is None for p in parties) or (item.round and round_id is None):
            return None
        return Exchange(
            date=item.date,
            end_date=item.end_date,
            categories=join_list(item.categories),
            mediator=item.mediator,
            status=item.status,
            round_id=round_id,
            note=item.note,
        )

    async def after_insert(
        self, session: AsyncSession, row: Exchange, item: ExchangeIn, refs: Refs
    ) -> None:
        await self._write_counts(session, row, item, refs)

    async def _write_counts(
        self, session: AsyncSession, row: Exchange, item: ExchangeIn, refs: Refs
    ) -> None:
        assert row.id is not None
        for key, count in item.returned.items():
            party = refs.party("exchange", key)
            if party is None or party.id is None:
                raise LookupError("; ".join(refs.errors))
            best, low, high = split_count(count)
            session.add(
                ExchangeCount(
                    exchange_id=row.id,
                    party_id=party.id,
                    returned=best,
                    returned_low=low,
                    returned_high=high,
                )
            )
        for stage in item.stages:
            for key, count in stage.returned.items():
                party = refs.party("exchange", key)
                if party is None or party.id is None:
                    raise LookupError("; ".join(refs.errors))
                session.add(
                    ExchangeStage(
                        exchange_id=row.id, date=stage.date, party_id=party.id, returned=count
                    )
                )
        await session.flush()

    async def apply(
        self, session: AsyncSession, row: Exchange, item: ExchangeIn, refs: Refs
    ) -> None:
        old_year = row.date.year
        row.date, row.end_date, row.status = item.date, item.end_date, item.status
        row.categories = join_list(item.categories)
        row.mediator, row.note = item.mediator, item.note
        await session.exec(delete(ExchangeCount).where(col(ExchangeCount.exchange_id) == row.id))
        await session.exec(delete(ExchangeStage).where(col(ExchangeStage.exchange_id) == row.id))
        await self._write_counts(session, row, item, refs)
        if old_year != row.date.year:
            session.add(row)
            await refresh_year_total(session, year=old_year)

    async def after_change(self, session: AsyncSession, row: Exchange) -> None:
        await refresh_year_total(session, year=row.date.year)

    async def search_text(self, session: AsyncSession, row: Exchange) -> str:
        parties = await session.exec(
            select(Party.name)
            .join(ExchangeCount, col(ExchangeCount.party_id) == col(Party.id))
            .where(ExchangeCount.exchange_id == row.id)
        )
        words = ["prisoner exchange swap", row.status, *parties, row.categories]
        return " ".join(filter(None, [*words, row.mediator, row.note]))

    async def snapshot(self, session: AsyncSession, row: Exchange, data: dict[str, Any]) -> None:
        counts = await session.exec(
            select(
                Party.name,
                ExchangeCount.returned,
                ExchangeCount.returned_low,
                ExchangeCount.returned_high,
            )
            .join(ExchangeCount, col(ExchangeCount.party_id) == col(Party.id))
            .where(ExchangeCount.exchange_id == row.id)
            .order_by(col(ExchangeCount.id))
        )
        data["returned"] = {name: count_value(n, lo, hi) for name, n, lo, hi in counts}
        data["categories"] = list(split_list(row.categories))
        data["round"] = await round_snapshot(session, data.pop("round_id", None))
        stages = (await stages_of(session, [row.id or 0])).get(row.id or 0, ())
        if stages:
            data["stages"] = [
                {"date": s.date.isoformat(), "returned": {c.party: c.returned for c in s.counts}}
                for s in stages
            ]

    async def export(
        self, session: AsyncSession, rows: Sequence[Exchange], keys: ExportKeys
    ) -> list[dict[str, Any]]:
        counts: dict[int, dict[str, Any]] = {}
        for n in (await session.exec(select(ExchangeCount).order_by(col(ExchangeCount.id)))).all():
            counts.setdefault(n.exchange_id, {})[keys.parties[n.party_id]] = count_value(
                n.returned, n.returned_low, n.returned_high
            )
        stages: dict[int, dict[dt.date, dict[str, int | None]]] = {}
        stored = await session.exec(
            select(ExchangeStage).order_by(col(ExchangeStage.date), col(ExchangeStage.id))
        )
        for st in stored.all():
            by_day = stages.setdefault(st.exchange_id, {}).setdefault(st.date, {})
            by_day[keys.parties[st.party_id]] = st.returned
        return [
            {
                "date": x.date,
                "end_date": x.end_date,
                "returned": counts.get(x.id or 0, {}),
                "categories": list(split_list(x.categories)),
                "mediator": x.mediator,
                "status": "agreed" if x.status == "agreed" else "completed",
                "round": keys.fact(FactKind.ROUND, x.round_id),
                "note": x.note,
                "stages": [
                    {"date": day, "returned": returned}
                    for day, returned in stages.get(x.id or 0, {}).items()
                ],
            }
            for x in rows
        ]

    async def duplicates(
        self, session: AsyncSession, item: ExchangeIn, candidates: Any
    ) -> list[int]:
        rows = (await session.exec(candidates.where(Exchange.date == item.date))).all()
        found = []
        for r in rows:
            counts = await session.exec(
                select(Party.key, ExchangeCount.returned)
                .join(ExchangeCount, col(ExchangeCount.party_id) == col(Party.id))
                .where(ExchangeCount.exchange_id == r.id)
            )
            wanted = {k: split_count(n)[0] for k, n in item.returned.items()}
            if dict(counts.all()) == wanted:
                found.append(r.id)
        return found

    def build(self, values: Mapping[str, str], check: Checker) -> dict[str, Any]:
        status = check.choice("status", values.get("status") or "completed", STATUS_CHOICES)
        returned = check.counts(values["returned"]) if values.get("returned") else {}
        return {
            "date": check.date("date", values.get("date")),
            "returned": returned,
            "categories": items(values.get("categories")),
            "mediator": values.get("mediator") or None,
            "status": status or "completed",
            "note": values.get("note") or None,
            "stages": _stages(values.get("stages"), list(returned), check),
        }

    def form_values(self, snap: Mapping[str, Any]) -> dict[str, str]:
        counts = snap.get("returned", {})
        return {
            "date": snap["date"],
            "returned": ", ".join(f"{p} {typed_count(n)}" for p, n in counts.items()),
            "categories": ", ".join(snap.get("categories", [])),
            "mediator": snap.get("mediator", ""),
            "status": snap.get("status", "completed"),
            "note": snap.get("note", ""),
            "stages": "; ".join(
                f"{s['date']} | "
                + " | ".join("?" if n is None else str(n) for n in s["returned"].values())
                for s in snap.get("stages", [])
            ),
        }

    def block(self, view: ExchangeView) -> str:
        return exchange_block(view)

    def full_value(self, key: str, value: Any) -> str:
        if key == "returned" and isinstance(value, dict):
            return " · ".join(
                _("to {party}: {people}").format(party=esc(party), people=people(n))
                for party, n in value.items()
            )
        if key == "status":
            return _("agreed, not yet carried out") if value == "agreed" else _("completed")
        if key == "round":
            return full_round(value)
        if key == "categories" and isinstance(value, list):
            return esc(", ".join(labels_text(str(c) for c in value)))
        return super().full_value(key, value)

    def briefing_block(self, change: Change[ExchangeView]) -> str:
        return ("🆕 " if change.fresh else "🔄 <i>Updated:</i> ") + exchange_block(change.view)

    def preview_view(self, item: ExchangeIn, names: Mapping[str, str]) -> ExchangeView:
        counts = tuple(
            ReturnedCount(names.get(k, k), *split_count(n)) for k, n in item.returned.items()
        )
        return ExchangeView(
            0,
            item.date,
            item.end_date,
            item.status,
            counts,
            tuple(item.categories),
            item.mediator,
            item.note,
            sources=input_sources(item),
            extras=input_extras(item),
            stages=tuple(
                StageView(
                    s.date, tuple(ReturnedCount(names.get(k, k), n) for k, n in s.returned.items())
                )
                for s in item.stages
            ),
        )


def _stages(value: str | None, parties: list[str], check: Checker) -> list[dict[str, Any]]:
    """Stages typed as `23 May 2025 | 390 | 390; 24 May 2025 | 307 | 307`."""
    stages: list[dict[str, Any]] = []
    for part in (p.strip() for p in (value or "").split(";")):
        if not part:
            continue
        day, *numbers = (x.strip() for x in part.split("|"))
        if len(numbers) != len(parties) or not parties:
            check.errors.append(
                _(
                    "stages: give each day as “23 May 2025 | 390 | 390”, one number per side of "
                    "“returned” ({sides}), got “{given}”."
                ).format(sides=len(parties), given=part[:60])
            )
            continue
        counts: dict[str, int | None] = {}
        for key, raw in zip(parties, numbers, strict=True):
            plain = raw.replace(",", "")
            if plain in ("?", ""):
                counts[key] = None
            elif plain.isascii() and plain.isdigit() and len(plain) <= 9:
                counts[key] = int(plain)
            else:
                check.errors.append(
                    _("stages: “{given}” is not a whole number of people.").format(given=raw[:40])
                )
        date = check.date("stages", day)
        if date is not None and len(counts) == len(parties):
            stages.append({"date": date, "returned": counts})
    return stages


SPEC = ExchangeSpec()
