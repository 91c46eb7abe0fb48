"""Prisoner exchanges, agreed or carried out, with how many people each side got back."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import field_validator
from sqlalchemy import Index, Text, UniqueConstraint, delete, func, text
from sqlalchemy import select as sa_select
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.dates import format_date
from core.i18n import N_, _, ngettext
from core.text import clip, esc, number
from kinds.base import Change, ExportKeys, FactKind, KindSpec, Refs
from kinds.common import (
    count_value,
    full_round,
    input_sources,
    people,
    people_range,
    source_line,
)
from kinds.day_order import day_order
from kinds.extras import NO_EXTRAS, FactExtras, differ_lines, input_extras, row_extras, when_text
from kinds.forms import Checker, FieldSpec, date_field, items, source_field
from kinds.round import TalkRound, round_snapshot
from kinds.translations import localized, original_marker
from store.alternatives import alternatives_column
from store.facts import join_list, split_list
from store.models import FactBase, Party
from store.queries import page_of, parse_sources, sources_column
from store.transfer import (
    Count,
    CountRange,
    FactIn,
    Key,
    Label,
    Long,
    NonNegativeInt,
    Short,
    StrictModel,
)
from store.views import Page, SourceRef


class ExchangeStatus(StrEnum):
    """Whether an exchange was only agreed or has been carried out."""

    AGREED = "agreed"
    COMPLETED = "completed"


class Exchange(FactBase, table=True):
    """A prisoner exchange, agreed or carried out, with how many people each side got back."""

    __table_args__ = (Index("ix_exchange_date", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    date: dt.date
    end_date: dt.date | None = None
    categories: str = Field(default="", sa_type=Text, description="Comma-separated categories")
    mediator: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default=ExchangeStatus.COMPLETED.value, max_length=16)
    round_id: int | None = Field(default=None, foreign_key="talk_round.id")
    note: str | None = Field(default=None, sa_type=Text)


class ExchangeCount(SQLModel, table=True):
    """How many people one party got back in one exchange (None: not announced)."""

    __tablename__ = "exchange_count"
    __table_args__ = (UniqueConstraint("exchange_id", "party_id", name="uq_exchange_count"),)

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True)
    party_id: int = Field(foreign_key="party.id")
    returned: int | None = None  # the best figure; totals add these
    returned_low: int | None = None  # bounds, when sources give a range
    returned_high: int | None = None


class ExchangeStage(SQLModel, table=True):
    """How many people one party got back on one day of a multi-day exchange (migration 0011)."""

    __tablename__ = "exchange_stage"
    __table_args__ = (
        UniqueConstraint("exchange_id", "date", "party_id", name="uq_exchange_stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True)
    date: dt.date
    party_id: int = Field(foreign_key="party.id")
    returned: int | None = None


class ExchangeYearTotal(SQLModel, table=True):
    """Completed live exchanges of one year and the people each party got back in them.

    Kept up to date by every write of an exchange (create, correction, retraction, import), so
    /exchanges reads one row per year however many exchanges the store holds.
    """

    __tablename__ = "exchange_year_total"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    exchanges: int = 0
    per_party: str = Field(default="[]", sa_type=Text, description="JSON [[party_id, returned]]")
    # Returned bodies, counted apart from living people (migration 0011).
    body_returns: int = 0
    bodies: str = Field(default="[]", sa_type=Text, description="JSON [[party_id, bodies]]")


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


BODIES = "bodies"  # the category of an exchange of the dead: counted apart from people


def is_bodies(categories: Sequence[str]) -> bool:
    """True for an exchange of returned bodies (its only category is `bodies`)."""
    return len(categories) == 1 and categories[0].casefold() == BODIES


@dataclass(frozen=True, slots=True)
class ReturnedCount:
    """How many people one party got back (None: not announced)."""

    party: str
    returned: int | None
    low: int | None = None
    high: int | None = None

    def text(self) -> str:
        """'390 people', 'about 1,000 people (900–1,100)' or 'not announced'."""
        return people_range(self.returned, self.low, self.high)


def _split_count(value: int | CountRange | None) -> tuple[int | None, int | None, int | None]:
    """(best, low, high) of an input count."""
    if isinstance(value, CountRange):
        return value.best, value.low, value.high
    return value, None, None


@dataclass(frozen=True, slots=True)
class StageView:
    """One day of a multi-day exchange."""

    date: dt.date
    counts: tuple[ReturnedCount, ...] = ()


@dataclass(frozen=True, slots=True)
class ExchangeView:
    """A prisoner exchange with its per-party counts."""

    id: int
    date: dt.date
    end_date: dt.date | None
    status: str
    counts: tuple[ReturnedCount, ...] = ()
    categories: tuple[str, ...] = ()
    mediator: str | None = None
    note: str | None = None
    round_title: str | None = None
    round_date: dt.date | None = None
    sources: tuple[SourceRef, ...] = ()
    extras: FactExtras = NO_EXTRAS
    stages: tuple[StageView, ...] = ()


@dataclass(frozen=True, slots=True)
class YearTotals:
    """People returned to each party in one year's completed exchanges."""

    year: int
    per_party: tuple[ReturnedCount, ...] = ()
    exchanges: int = 0
    bodies: tuple[ReturnedCount, ...] = ()
    body_returns: int = 0


async def exchange_views(session: AsyncSession, rows: Sequence[Any]) -> list[ExchangeView]:
    """Views of `exchanges_select()` rows, with each exchange's counts (one more query)."""
    ids = [row[0].id for row in rows]
    counts: dict[int, list[ReturnedCount]] = defaultdict(list)
    if ids:
        stmt: Any = (
            sa_select(
                col(ExchangeCount.exchange_id),
                col(Party.name),
                col(ExchangeCount.returned),
                col(ExchangeCount.returned_low),
                col(ExchangeCount.returned_high),
            )
            .join(Party, col(Party.id) == col(ExchangeCount.party_id))
            .where(col(ExchangeCount.exchange_id).in_(ids))
            .order_by(col(ExchangeCount.id))
        )
        count_rows = await session.exec(stmt)
        for exchange_id, party_name, returned, low, high in count_rows:
            counts[exchange_id].append(ReturnedCount(party_name, returned, low, high))
    stages = await _stages_of(session, ids)
    return [
        ExchangeView(
            id=ex.id,
            date=ex.date,
            end_date=ex.end_date,
            status=ex.status,
            counts=tuple(counts.get(ex.id, ())),
            categories=split_list(ex.categories),
            mediator=ex.mediator,
            note=ex.note,
            round_title=round_title,
            round_date=round_date,
            sources=parse_sources(raw),
            extras=row_extras(ex, ex.date, others),
            stages=stages.get(ex.id, ()),
        )
        for ex, round_title, round_date, raw, others in rows
    ]


async def _stages_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[StageView, ...]]:
    """The stages of these exchanges, by day, each party's count in stored order."""
    if not ids:
        return {}
    rows = await session.exec(
        select(  # type: ignore[call-overload]  # an optional column: beyond sqlmodel's overloads
            ExchangeStage.exchange_id, ExchangeStage.date, Party.name, ExchangeStage.returned
        )
        .join(Party, col(Party.id) == col(ExchangeStage.party_id))
        .where(col(ExchangeStage.exchange_id).in_(ids))
        .order_by(col(ExchangeStage.exchange_id), col(ExchangeStage.date), col(ExchangeStage.id))
    )
    days: dict[int, dict[dt.date, list[ReturnedCount]]] = defaultdict(dict)
    for exchange_id, day, party, returned in rows:
        days[exchange_id].setdefault(day, []).append(ReturnedCount(party, returned))
    return {
        x: tuple(StageView(day, tuple(counts)) for day, counts in by_day.items())
        for x, by_day in days.items()
    }


def stages_line(stages: Sequence[StageView]) -> str:
    """'Stages: 23 May: 390 each · 24 May: 307 each' (or each side's count where they differ)."""
    parts = []
    for stage in stages:
        when = f"{stage.date.day} {stage.date:%b}"
        numbers = {c.returned for c in stage.counts}
        if len(stage.counts) > 1 and len(numbers) == 1:
            (n,) = numbers
            each = _("{count} each").format(count="?" if n is None else number(n))
            parts.append(f"{when}: {each}")
        else:
            sides = ", ".join(
                f"to {esc(clip(c.party, 30))} {'?' if c.returned is None else number(c.returned)}"
                for c in stage.counts
            )
            parts.append(f"{when}: {sides}")
    return _("Stages: {days}").format(days=" · ".join(parts))


def exchanges_select() -> Any:
    """Live exchanges with their round and sources, for `exchange_views`."""
    return (
        sa_select(
            Exchange,
            col(TalkRound.title),
            col(TalkRound.date),
            sources_column(FactKind.EXCHANGE, Exchange.id),
            alternatives_column(FactKind.EXCHANGE, Exchange.id),
        )
        .join(
            TalkRound,
            (col(TalkRound.id) == col(Exchange.round_id)) & col(TalkRound.retracted_at).is_(None),
            isouter=True,
        )
        .where(col(Exchange.retracted_at).is_(None))
    )


async def list_exchanges(
    session: AsyncSession, *, limit: int, offset: int = 0
) -> Page[ExchangeView]:
    """Live prisoner exchanges, newest first."""
    stmt = (
        exchanges_select()
        .order_by(*day_order(Exchange, Exchange.date))
        .offset(offset)
        .limit(limit + 1)
    )
    rows = (await session.exec(stmt)).all()
    return page_of(await exchange_views(session, rows), offset=offset, limit=limit)


async def exchange_totals(session: AsyncSession) -> list[YearTotals]:
    """People (and, apart, bodies) returned to each party per year, newest year first."""
    years = (
        await session.exec(select(ExchangeYearTotal).order_by(col(ExchangeYearTotal.year).desc()))
    ).all()
    people_sums = {y.year: _pairs(y.per_party) for y in years}
    body_sums = {y.year: _pairs(y.bodies) for y in years}
    party_ids = {p for sums in (people_sums, body_sums) for v in sums.values() for p, _ in v}
    names: dict[int, str] = {}
    if party_ids:
        rows = await session.exec(select(Party.id, Party.name).where(col(Party.id).in_(party_ids)))
        names = {pid: name for pid, name in rows if pid is not None}

    def counted(pairs: list[tuple[int, int]]) -> tuple[ReturnedCount, ...]:
        found = (ReturnedCount(party=names.get(p, "?"), returned=n) for p, n in pairs)
        return tuple(sorted(found, key=lambda c: c.party))

    return [
        YearTotals(
            year=y.year,
            per_party=counted(people_sums[y.year]),
            exchanges=y.exchanges,
            bodies=counted(body_sums[y.year]),
            body_returns=y.body_returns,
        )
        for y in years
    ]


def _pairs(raw: str | None) -> list[tuple[int, int]]:
    return [(int(p), int(n)) for p, n in json.loads(raw or "[]")]


YEAR_LOCKS = 0x45585459  # advisory-lock namespace of the yearly totals ("EXTY")


async def refresh_year_total(session: AsyncSession, *, year: int) -> None:
    """Recount one year's completed live exchanges into its ExchangeYearTotal row."""
    await session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # Writers of one year take turns until commit, so each counts the others' rows (a count
        # taken side by side would miss them). SQLite has one writer at a time anyway.
        lock = text("SELECT pg_advisory_xact_lock(:ns, :year)")
        await session.exec(lock.bindparams(ns=YEAR_LOCKS, year=year))  # type: ignore[call-overload]
    in_year = (
        col(Exchange.retracted_at).is_(None),
        Exchange.status == ExchangeStatus.COMPLETED.value,
        col(Exchange.date) >= dt.date(year, 1, 1),
        col(Exchange.date) < dt.date(year + 1, 1, 1),
    )
    of_bodies = func.lower(col(Exchange.categories)) == BODIES
    counts, sums = [], []
    for kind in (~of_bodies, of_bodies):  # living people, then bodies
        counts.append(
            (await session.exec(select(func.count(col(Exchange.id))).where(*in_year, kind))).one()
        )
        rows = await session.exec(
            select(ExchangeCount.party_id, func.sum(ExchangeCount.returned))
            .join(Exchange, col(Exchange.id) == col(ExchangeCount.exchange_id))
            .where(*in_year, kind)
            .group_by(col(ExchangeCount.party_id))
            .order_by(col(ExchangeCount.party_id))
        )
        sums.append(json.dumps([[pid, int(total or 0)] for pid, total in rows]))
    row = await session.get(ExchangeYearTotal, year)
    if not any(counts):
        if row is not None:
            await session.delete(row)
        return
    row = row or ExchangeYearTotal(year=year)
    row.exchanges, row.body_returns = int(counts[0]), int(counts[1])
    row.per_party, row.bodies = sums
    session.add(row)


def exchange_block(x: ExchangeView) -> str:
    """One exchange: status (agreed ones stand out), dates, people returned, details, sources."""
    when = when_text(x.date, x.extras, x.end_date)
    if x.status == "agreed":
        head = _("⏳ <b>AGREED, NOT YET CARRIED OUT</b> · agreed {when}").format(when=when)
    else:
        head = _("✅ <b>Completed</b> · {when}").format(when=when)
    lines = [head + (original_marker(x) if x.note else "")]
    if x.counts:
        dead = is_bodies(x.categories)
        returned = " · ".join(
            _("to {party}: {people}").format(
                party=esc(clip(c.party, 40)), people=bodies(c.returned) if dead else c.text()
            )
            for c in x.counts
        )
        lines.append(_("Returned {returned}").format(returned=returned))
    if x.stages:
        lines.append(stages_line(x.stages))
    if x.categories:
        lines.append(_("Who:") + " " + esc(clip(", ".join(x.categories), 200)))
    if x.mediator:
        lines.append(_("Mediator:") + " " + esc(clip(x.mediator, 120)))
    if x.round_title or x.round_date:
        label = esc(clip(x.round_title, 100)) if x.round_title else _("talks")
        on = f" ({format_date(x.round_date)})" if x.round_date else ""
        lines.append(_("Agreed at:") + f" {label}{on}")
    if x.note:
        lines.append(_("Note:") + " " + esc(clip(localized(x, "note"), 300)))
    lines += differ_lines(x)
    lines.append(source_line(x.sources))
    return "\n".join(lines)


def totals_block(totals: Sequence[YearTotals]) -> str:
    """People returned to each side per year, over completed exchanges."""
    if not totals:
        return "<i>" + _("No completed exchanges on file yet.") + "</i>"
    lines = []
    for t in totals[:3]:
        sides = " · ".join(f"{esc(c.party)}: {people(c.returned)}" for c in t.per_party)
        done = ngettext("{n} completed exchange", "{n} completed exchanges", t.exchanges).format(
            n=number(t.exchanges)
        )
        lines.append(
            _("<b>{year} totals</b> ({done}): {sides}").format(
                year=t.year, done=done, sides=sides or _("numbers not announced")
            )
        )
        if t.body_returns:
            dead = " · ".join(f"{esc(c.party)}: {bodies(c.returned)}" for c in t.bodies)
            handovers = ngettext("{n} handover", "{n} handovers", t.body_returns).format(
                n=t.body_returns
            )
            lines.append(
                "   "
                + _("<i>and, counted apart, bodies returned</i> ({handovers}): {sides}").format(
                    handovers=handovers, sides=dead or _("numbers not announced")
                )
            )
    return "\n".join(lines)


def typed_count(n: Any) -> str:
    """A count as an editor types it: '390', '?', '1000 (900-1100)' or '900-1100'."""
    if isinstance(n, dict):
        span = f"{n['low']}-{n['high']}"
        return f"{n['best']} ({span})" if n.get("best") is not None else span
    return "?" if n is None else str(n)


def bodies(n: int | None) -> str:
    """A number of bodies returned, or that it was not announced."""
    if n is None:
        return _("not announced")
    return ngettext("{n} body", "{n} bodies", n).format(n=number(n))


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
        round_id = refs.round(label, item.round)
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
            best, low, high = _split_count(count)
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
        stages = (await _stages_of(session, [row.id or 0])).get(row.id or 0, ())
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
                "round": keys.rounds.get(x.round_id) if x.round_id else None,
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
            wanted = {k: _split_count(n)[0] for k, n in item.returned.items()}
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
            return " · ".join(f"to {esc(party)}: {people(n)}" for party, n in value.items())
        if key == "status":
            return _("agreed, not yet carried out") if value == "agreed" else _("completed")
        if key == "round":
            return full_round(value)
        return super().full_value(key, value)

    def briefing_block(self, change: Change[ExchangeView]) -> str:
        return ("🆕 " if change.fresh else "🔄 <i>Updated:</i> ") + exchange_block(change.view)

    def preview_view(self, item: ExchangeIn, names: Mapping[str, str]) -> ExchangeView:
        counts = tuple(
            ReturnedCount(names.get(k, k), *_split_count(n)) for k, n in item.returned.items()
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
                f"stages: give each day as “23 May 2025 | 390 | 390”, one number per side of "
                f"“returned” ({len(parties)}), got “{part[:60]}”."
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
                check.errors.append(f"stages: “{raw}” is not a whole number of people.")
        date = check.date("stages", day)
        if date is not None and len(counts) == len(parties):
            stages.append({"date": date, "returned": counts})
    return stages


SPEC = ExchangeSpec()
