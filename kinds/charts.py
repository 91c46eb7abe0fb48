"""What the charts show, read from the store: exchanges per month and side, rounds on a timeline.

The data objects are what a chart is drawn from (render/charts.py), what its caption states in
words and what its cache key hashes, so a test checks a chart by checking its data.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.exchange_tables import Exchange, ExchangeCount, ExchangeStatus, is_bodies
from kinds.round import TalkRound
from store.facts import split_list
from store.models import Party

MONTHS = 12
MAX_ROUNDS = 40  # the most recent rounds a timeline shows


@dataclass(frozen=True, slots=True)
class SideSeries:
    """People one party got back in each month of the year, living and (apart) bodies."""

    party: str
    living: tuple[int, ...] = (0,) * MONTHS
    bodies: tuple[int, ...] = (0,) * MONTHS
    # False when some completed exchange announced no number for this side: a total is a floor.
    living_announced: bool = True
    bodies_announced: bool = True

    @property
    def living_total(self) -> int:
        """Living people returned to this party in the year."""
        return sum(self.living)

    @property
    def bodies_total(self) -> int:
        """Bodies returned to this party in the year."""
        return sum(self.bodies)


@dataclass(frozen=True, slots=True)
class AgreedMark:
    """An exchange agreed but not yet carried out: when, and how many (None: not announced)."""

    date: dt.date
    people: int | None


@dataclass(frozen=True, slots=True)
class ExchangeChart:
    """One year of prisoner exchanges: per side and month, and the agreed ones still pending.

    `bodies_recorded` says whether the store counts repatriated bodies apart at all; until
    exchanges record them every `bodies` series is zeros and the chart and caption say so.
    """

    year: int
    sides: tuple[SideSeries, ...]
    completed: int
    agreed: tuple[AgreedMark, ...] = ()
    bodies_recorded: bool = False


@dataclass(frozen=True, slots=True)
class RoundMark:
    """One round of talks on the timeline."""

    date: dt.date
    end_date: dt.date | None
    title: str
    place: str


@dataclass(frozen=True, slots=True)
class RoundsChart:
    """Rounds of talks, oldest first."""

    rounds: tuple[RoundMark, ...]


async def latest_exchange_year(session: AsyncSession) -> int | None:
    """The year of the most recent live exchange (agreed or completed), or None."""
    latest = (
        await session.exec(
            select(func.max(col(Exchange.date))).where(col(Exchange.retracted_at).is_(None))
        )
    ).one()
    if latest is None:
        return None
    return int(str(latest)[:4])  # SQLite's max() hands back the ISO text


async def exchange_chart(session: AsyncSession, *, year: int) -> ExchangeChart:
    """Live exchanges of `year`: living people returned per side and month; agreed ones apart."""
    rows = (
        await session.exec(
            select(
                col(Exchange.id), col(Exchange.date), col(Exchange.status), col(Exchange.categories)
            )
            .where(
                col(Exchange.retracted_at).is_(None),
                col(Exchange.date) >= dt.date(year, 1, 1),
                col(Exchange.date) < dt.date(year + 1, 1, 1),
            )
            .order_by(col(Exchange.date), col(Exchange.id))
        )
    ).all()
    counts: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    if rows:
        for exchange_id, party, returned in await session.exec(
            select(ExchangeCount.exchange_id, Party.name, ExchangeCount.returned)
            .join(Party, col(Party.id) == col(ExchangeCount.party_id))
            .where(col(ExchangeCount.exchange_id).in_([r[0] for r in rows]))
        ):
            counts[exchange_id].append((party, returned))
    living: dict[str, list[int]] = {}
    dead: dict[str, list[int]] = {}
    # Per series: how many completed exchanges it has, and per side how many gave a number.
    exchanges = {"living": 0, "dead": 0}
    announced: dict[str, Counter[str]] = {"living": Counter(), "dead": Counter()}
    agreed: list[AgreedMark] = []
    completed = 0
    for row_id, date, status, categories in rows:
        pairs = counts.get(row_id or 0, [])
        if status == ExchangeStatus.AGREED.value:
            known = [n for _, n in pairs if n is not None]
            agreed.append(AgreedMark(date, sum(known) if known else None))
            continue
        completed += 1
        # Returned bodies are counted apart from living people (kinds/exchange_tables.py is_bodies).
        name = "dead" if is_bodies(split_list(categories)) else "living"
        series = dead if name == "dead" else living
        exchanges[name] += 1
        for party, returned in pairs:
            living.setdefault(party, [0] * MONTHS)
            months = series.setdefault(party, [0] * MONTHS)
            months[date.month - 1] += returned or 0
            announced[name][party] += returned is not None
    sides = tuple(
        SideSeries(
            p,
            tuple(living[p]),
            tuple(dead.get(p, [0] * MONTHS)),
            living_announced=announced["living"][p] == exchanges["living"],
            bodies_announced=announced["dead"][p] == exchanges["dead"],
        )
        for p in sorted(living)
    )
    return ExchangeChart(
        year=year, sides=sides, completed=completed, agreed=tuple(agreed), bodies_recorded=True
    )


async def rounds_chart(session: AsyncSession, *, limit: int = MAX_ROUNDS) -> RoundsChart:
    """The most recent live rounds of talks (at most `limit`), oldest first."""
    rows = (
        await session.exec(
            select(
                col(TalkRound.date),
                col(TalkRound.end_date),
                col(TalkRound.title),
                col(TalkRound.place),
            )
            .where(col(TalkRound.retracted_at).is_(None))
            .order_by(col(TalkRound.date).desc(), col(TalkRound.id).desc())
            .limit(limit)
        )
    ).all()
    return RoundsChart(tuple(RoundMark(d, e, t, p) for d, e, t, p in reversed(rows)))
