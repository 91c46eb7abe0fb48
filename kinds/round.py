"""Rounds of talks: when, where, who led each delegation, and what came out of it (/rounds)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.dates import format_date
from core.i18n import N_, _
from core.text import clip, esc
from kinds.base import ExportKeys, FactKind, KindSpec, Refs
from kinds.common import input_sources, same_text, source_line
from kinds.day_order import day_order
from kinds.extras import (
    NO_EXTRAS,
    FactExtras,
    differ_lines,
    input_extras,
    row_extras,
    versions,
    when_text,
)
from kinds.forms import Checker, FieldSpec, date_field, source_field
from kinds.translations import localized, original_marker
from store.alternatives import alternatives_column
from store.models import FactBase, Party
from store.queries import page_of, parse_sources, sources_column
from store.transfer import FactIn, Long, Name, NonNegativeInt, Short, StrictModel
from store.views import Page, SourceRef


class TalkRound(FactBase, table=True):
    """One round of talks: when, where, who led each delegation, and what came out of it."""

    __tablename__ = "talk_round"
    __table_args__ = (Index("ix_talk_round_date", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    date: dt.date
    end_date: dt.date | None = None
    title: str = Field(default="", sa_type=Text)
    place: str = Field(default="", sa_type=Text)
    venue: str | None = Field(default=None, sa_type=Text)
    mediator: str | None = Field(default=None, sa_type=Text)
    delegations: str = Field(default="[]", sa_type=Text, description="JSON list of {party, head}")
    duration: str | None = Field(default=None, sa_type=Text)
    duration_minutes: int | None = None
    outcome: str = Field(default="", sa_type=Text)


class DelegationIn(StrictModel):
    """One party's delegation head at a round (None when the source does not name one)."""

    party: Name
    head: Name | None = None


class RoundIn(FactIn):
    """A round of talks."""

    date: dt.date
    end_date: dt.date | None = None
    title: Short = ""
    place: Name
    venue: Short | None = None
    mediator: Short | None = None
    delegations: list[DelegationIn] = []
    duration: Short | None = None
    duration_minutes: NonNegativeInt | None = None
    outcome: Long = ""


@dataclass(frozen=True, slots=True)
class Delegation:
    """Who led one party's delegation."""

    party: str
    head: str


@dataclass(frozen=True, slots=True)
class RoundView:
    """A round of talks."""

    id: int
    date: dt.date
    end_date: dt.date | None
    title: str
    place: str
    venue: str | None = None
    mediator: str | None = None
    delegations: tuple[Delegation, ...] = ()
    duration: str | None = None
    outcome: str = ""
    sources: tuple[SourceRef, ...] = ()
    extras: FactExtras = NO_EXTRAS


def _round_view(row: TalkRound, sources: tuple[SourceRef, ...], others: Any = None) -> RoundView:
    assert row.id is not None
    try:
        raw = json.loads(row.delegations or "[]")
    except ValueError:
        raw = []
    delegations = tuple(
        Delegation(party=str(d.get("party") or ""), head=str(d.get("head") or ""))
        for d in raw
        if isinstance(d, dict)
    )
    return RoundView(
        id=row.id,
        date=row.date,
        end_date=row.end_date,
        title=row.title,
        place=row.place,
        venue=row.venue,
        mediator=row.mediator,
        delegations=delegations,
        duration=row.duration,
        outcome=row.outcome,
        sources=sources,
        extras=row_extras(row, row.date, others),
    )


def rounds_select() -> Any:
    """Rounds of talks with their sources, for `round_views`."""
    return select(
        TalkRound,
        sources_column(FactKind.ROUND, TalkRound.id),
        alternatives_column(FactKind.ROUND, TalkRound.id),
    )


def round_views(rows: Sequence[Any]) -> list[RoundView]:
    """Views of `rounds_select()` rows."""
    return [_round_view(r, parse_sources(raw), others) for r, raw, others in rows]


async def list_rounds(session: AsyncSession, *, limit: int, offset: int = 0) -> Page[RoundView]:
    """Live rounds of talks, newest first."""
    stmt = (
        rounds_select()
        .where(col(TalkRound.retracted_at).is_(None))
        .order_by(*day_order(TalkRound, TalkRound.date))
        .offset(offset)
        .limit(limit + 1)
    )
    rows = (await session.exec(stmt)).all()
    return page_of(round_views(rows), offset=offset, limit=limit)


async def round_labels(session: AsyncSession) -> dict[str, str]:
    """Each live round's public id (R12) and how a form names it: its title and date."""
    rows = await session.exec(
        select(col(TalkRound.id), col(TalkRound.title), col(TalkRound.date)).where(
            col(TalkRound.retracted_at).is_(None)
        )
    )
    return {
        f"R{rid}": f"{title or 'Round of talks'} ({format_date(date)})" for rid, title, date in rows
    }


async def round_snapshot(session: AsyncSession, round_id: int | None) -> str | None:
    """How an audit snapshot names a fact's round: its id and title, e.g. "R1 Second round…"."""
    if round_id is None:
        return None
    row = await session.get(TalkRound, round_id)
    return f"R{round_id}" + (f" {row.title}" if row is not None and row.title else "")


def round_block(r: RoundView) -> str:
    """One round of talks: date, place, mediator, delegations, duration, outcome, sources."""
    title = localized(r, "title") or _("Round of talks")
    where = ", ".join(esc(clip(v, 80)) for v in (r.place, r.venue) if v)
    lines = [
        f"🤝 <b>{esc(clip(title, 120))}</b>{original_marker(r)}",
        f"📅 {when_text(r.date, r.extras, r.end_date)}" + (f" · 📍 {where}" if where else ""),
    ]
    if r.mediator:
        lines.append(_("Mediator:") + " " + esc(clip(r.mediator, 150)))
    if r.delegations:
        not_named = _("not named")
        heads = "; ".join(
            f"{esc(clip(d.party, 40))} — {esc(clip(d.head, 80)) if d.head else not_named}"
            for d in r.delegations[:6]
        )
        lines.append(_("Delegations:") + " " + heads)
    if r.duration:
        lines.append(_("Duration:") + " " + versions(r.extras, "duration", r.duration, r.sources))
    if r.outcome:
        lines.append(_("Outcome:") + " " + esc(clip(localized(r, "outcome"), 600)))
    lines += differ_lines(r, shown={"duration"} if r.duration else ())
    lines.append(source_line(r.sources))
    return "\n".join(lines)


_DELEGATIONS_HELP = (
    "delegations: write “Party: head”, separated by “;” "
    "(e.g. Ukraine: Rustem Umerov; Russia: Vladimir Medinsky)."
)


def _check_delegations(check: Checker, value: str) -> None:
    if any(":" not in part for part in value.split(";") if part.strip()):
        check.errors.append(_DELEGATIONS_HELP)


class RoundSpec(KindSpec[TalkRound, RoundIn, RoundView]):
    """Rounds of talks."""

    kind = FactKind.ROUND
    letter = "R"
    referable = True  # updates, exchanges and documents name the round they came from
    section = "rounds"
    noun = N_("round of talks")
    label = N_("Round of talks")
    icon = "🤝"
    add_command = "round"
    add_help = N_("record a round of talks")
    add_example = "/round + date:, place:"
    where_shown = "/rounds and /search"
    table = TalkRound
    input = RoundIn
    fields = (
        date_field(),
        FieldSpec("place", True, N_("Where? e.g. Istanbul, Ciragan Palace"), ("where", "venue")),
        FieldSpec(
            "title", False, N_("Title? e.g. Second round of direct talks (/skip)"), ("name",)
        ),
        FieldSpec("mediator", False, N_("Mediator? (/skip)"), ("host",)),
        FieldSpec(
            "delegations",
            False,
            N_(
                "Heads of delegations? e.g. Ukraine: Rustem Umerov; "
                "Russia: Vladimir Medinsky (/skip)"
            ),
            ("delegation", "heads"),
            _check_delegations,
        ),
        FieldSpec("duration", False, N_("How long? e.g. about an hour (/skip)"), ("length",)),
        FieldSpec("outcome", False, N_("Outcome? (/skip)"), ("outcomes", "result", "results")),
        source_field(),
    )
    lead_field = "title"
    usage = (
        "<code>/round\ndate: 2 June 2025\nplace: Istanbul, Ciragan Palace\nmediator: …\n"
        "delegations: Ukraine: …; Russia: …\nduration: about an hour\noutcome: …\n"
        "source: https://…</code>"
    )
    title_attr = "place"
    briefing_heading = N_("🤝 <b>Rounds of talks</b>")
    translatable = ("title", "outcome")
    full_labels = {
        "title": N_("Title"),
        "date": N_("Date"),
        "end_date": N_("Until"),
        "place": N_("Place"),
        "venue": N_("Venue"),
        "mediator": N_("Mediator"),
        "delegations": N_("Delegations"),
        "duration": N_("Duration"),
        "duration_minutes": N_("Duration in minutes"),
        "outcome": N_("Outcome"),
    }

    async def load(self, session: AsyncSession, ids: Sequence[int]) -> list[RoundView]:
        stmt = rounds_select().where(
            col(TalkRound.id).in_(ids), col(TalkRound.retracted_at).is_(None)
        )
        return round_views((await session.exec(stmt)).all())

    def new_row(self, item: RoundIn, refs: Refs, label: str) -> TalkRound | None:
        # Every delegation's party must be a declared one (docs/data-format.md).
        parties = [
            refs.party(label, d.party, at=f"delegations[{i}].party")
            for i, d in enumerate(item.delegations)
        ]
        if None in parties:
            return None
        row = TalkRound(date=item.date)
        self._fill(row, item, refs)
        return row

    def _fill(self, row: TalkRound, item: RoundIn, refs: Refs) -> None:
        row.date, row.end_date, row.title = item.date, item.end_date, item.title
        row.place, row.venue, row.mediator = item.place, item.venue, item.mediator
        row.delegations = json.dumps(
            [{"party": refs.party_name(d.party), "head": d.head} for d in item.delegations]
        )
        row.duration, row.duration_minutes = item.duration, item.duration_minutes
        row.outcome = item.outcome

    async def apply(self, session: AsyncSession, row: TalkRound, item: RoundIn, refs: Refs) -> None:
        minutes = row.duration_minutes
        self._fill(row, item, refs)
        # The form has no minutes field: an edit keeps the stored figure.
        row.duration_minutes = item.duration_minutes if item.duration_minutes else minutes

    async def search_text(self, session: AsyncSession, row: TalkRound) -> str:
        heads = " ".join(
            f"{d.get('party', '')} {d.get('head') or ''}" for d in json.loads(row.delegations)
        )
        words = [row.title, "talks round", row.place, row.venue, row.mediator, heads, row.duration]
        return " ".join(filter(None, [*words, row.outcome]))

    async def snapshot(self, session: AsyncSession, row: TalkRound, data: dict[str, Any]) -> None:
        data["delegations"] = json.loads(row.delegations or "[]")

    async def export(
        self, session: AsyncSession, rows: Sequence[TalkRound], keys: ExportKeys
    ) -> list[dict[str, Any]]:
        key_of = {name: key for name, key in (await session.exec(select(Party.name, Party.key)))}
        return [
            {
                "date": r.date,
                "end_date": r.end_date,
                "title": r.title,
                "place": r.place,
                "venue": r.venue,
                "mediator": r.mediator,
                "delegations": [
                    # Stored by name for display; the file names the party by its key.
                    {"party": key_of.get(d["party"], d["party"]), "head": d.get("head") or None}
                    for d in json.loads(r.delegations or "[]")
                ],
                "duration": r.duration,
                "duration_minutes": r.duration_minutes,
                "outcome": r.outcome,
            }
            for r in rows
        ]

    async def duplicates(self, session: AsyncSession, item: RoundIn, candidates: Any) -> list[int]:
        rows = (await session.exec(candidates.where(TalkRound.date == item.date))).all()
        return [r.id for r in rows if same_text(r.place, item.place)]

    def build(self, values: Mapping[str, str], check: Checker) -> dict[str, Any]:
        place, _, venue = values.get("place", "").partition(",")
        delegations: list[dict[str, str | None]] = []
        for part in (p.strip() for p in (values.get("delegations") or "").split(";")):
            if part:
                party, sep, head = part.partition(":")
                if not sep:
                    check.errors.append(_DELEGATIONS_HELP)
                    break
                # A party's key (a new party is created on Save); "Russia:" with no name is a
                # delegation whose head the source does not name.
                key = check.party(party.strip()) if party.strip() else None
                if key is not None:
                    delegations.append({"party": key, "head": head.strip() or None})
        return {
            "date": check.date("date", values.get("date")),
            "place": place.strip(),
            "venue": venue.strip() or None,
            "title": values.get("title", ""),
            "mediator": values.get("mediator") or None,
            "delegations": delegations,
            "duration": values.get("duration") or None,
            "outcome": values.get("outcome", ""),
        }

    def form_values(self, snap: Mapping[str, Any]) -> dict[str, str]:
        heads = "; ".join(
            f"{d['party']}: {d.get('head') or ''}" for d in snap.get("delegations", [])
        )
        return {
            "date": snap["date"],
            "place": ", ".join(filter(None, [snap.get("place"), snap.get("venue")])),
            "title": snap.get("title", ""),
            "mediator": snap.get("mediator", ""),
            "delegations": heads,
            "duration": snap.get("duration", ""),
            "outcome": snap.get("outcome", ""),
        }

    def block(self, view: RoundView) -> str:
        return round_block(view)

    def full_value(self, key: str, value: Any) -> str:
        if key == "delegations" and isinstance(value, list):
            return "; ".join(
                f"{esc(d.get('party') or '')} — {esc(d.get('head') or _('not named'))}"
                for d in value
                if isinstance(d, dict)
            )
        return super().full_value(key, value)

    def search_block(self, view: RoundView) -> str:
        return "🤝 <i>Round of talks</i>\n" + round_block(view).removeprefix("🤝 ")

    def preview_view(self, item: RoundIn, names: Mapping[str, str]) -> RoundView:
        return RoundView(
            0,
            item.date,
            item.end_date,
            item.title,
            item.place,
            item.venue,
            item.mediator,
            tuple(Delegation(names.get(d.party, d.party), d.head or "") for d in item.delegations),
            item.duration,
            item.outcome,
            input_sources(item),
            input_extras(item),
        )


SPEC = RoundSpec()
