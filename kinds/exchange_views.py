"""Prisoner exchanges as read and shown: views with their counts and stages, list and block."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.dates import format_date
from core.i18n import _, ngettext
from core.text import clip, esc, number
from kinds.base import FactKind
from kinds.common import people_range, source_line
from kinds.day_order import day_order
from kinds.exchange_tables import Exchange, ExchangeCount, ExchangeStage, is_bodies
from kinds.extras import NO_EXTRAS, FactExtras, differ_lines, row_extras, when_text
from kinds.round import TalkRound
from kinds.translations import localized, original_marker
from kinds.vocabulary import labels_text
from store.alternatives import alternatives_column
from store.facts import split_list
from store.models import Party
from store.queries import page_of, parse_sources, sources_column
from store.transfer import CountRange
from store.views import Page, SourceRef


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

    def bodies_text(self) -> str:
        """The same of bodies returned: '24 bodies', 'about 24 bodies (20–30)', …"""
        return bodies_range(self.returned, self.low, self.high)


def split_count(value: int | CountRange | None) -> tuple[int | None, int | None, int | None]:
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
    stages = await stages_of(session, ids)
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


async def stages_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[StageView, ...]]:
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
    session: AsyncSession, *, limit: int, offset: int = 0, year: int | None = None
) -> Page[ExchangeView]:
    """Live prisoner exchanges, newest first; with `year`, those that began in it."""
    stmt = exchanges_select()
    if year is not None:
        stmt = stmt.where(
            col(Exchange.date) >= dt.date(year, 1, 1), col(Exchange.date) < dt.date(year + 1, 1, 1)
        )
    stmt = stmt.order_by(*day_order(Exchange, Exchange.date)).offset(offset).limit(limit + 1)
    rows = (await session.exec(stmt)).all()
    return page_of(await exchange_views(session, rows), offset=offset, limit=limit)


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
                party=esc(clip(c.party, 40)), people=c.bodies_text() if dead else c.text()
            )
            for c in x.counts
        )
        lines.append(_("Returned {returned}").format(returned=returned))
    if x.stages:
        lines.append(stages_line(x.stages))
    if x.categories:
        lines.append(_("Who:") + " " + esc(clip(", ".join(labels_text(x.categories)), 200)))
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


def bodies_range(n: int | None, low: int | None = None, high: int | None = None) -> str:
    """A number of bodies known within bounds: 'about 1,000 bodies (900–1,100)'."""
    if low is None or high is None or low == high:
        return bodies(n if low is None or high is None else low)
    span = f"{number(low)}–{number(high)}"
    if n is None:
        return _("{span} bodies").format(span=span)
    return ngettext("about {count} body ({span})", "about {count} bodies ({span})", n).format(
        count=number(n), span=span
    )
