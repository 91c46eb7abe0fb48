"""Yearly totals of completed exchanges: kept by every write, read and shown by /exchanges."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import _, ngettext
from core.text import esc, number
from kinds.common import people, people_range
from kinds.exchange_tables import BODIES, Exchange, ExchangeCount, ExchangeStatus, ExchangeYearTotal
from kinds.exchange_views import bodies_range
from store.models import Party


@dataclass(frozen=True, slots=True)
class SideTotal:
    """What one party got back over a year's exchanges, no more exactly than announced."""

    party: str
    returned: int | None  # the total's best figure; None unless every exchange gave one
    low: int | None = None  # None: no exchange gave a number for this side
    high: int | None = None  # None: some exchange gave none, so there is no upper bound

    def text(self) -> str:
        """'2,076 people', 'about 1,000 people (900–1,100)', 'at least 2,076 people' or
        'not announced'."""
        if self.low is None:
            return _("not announced")
        if self.high is None:
            return ngettext("at least {n} person", "at least {n} people", self.low).format(
                n=number(self.low)
            )
        if self.low == self.high:
            return people(self.low)
        return people_range(self.returned, self.low, self.high)

    def bodies_text(self) -> str:
        """The same of bodies returned: '24 bodies', 'at least 24 bodies', …"""
        if self.low is None:
            return _("not announced")
        if self.high is None:
            return ngettext("at least {n} body", "at least {n} bodies", self.low).format(
                n=number(self.low)
            )
        return bodies_range(self.returned, self.low, self.high)


@dataclass(frozen=True, slots=True)
class YearTotals:
    """People returned to each party in one year's completed exchanges."""

    year: int
    per_party: tuple[SideTotal, ...] = ()
    exchanges: int = 0
    bodies: tuple[SideTotal, ...] = ()
    body_returns: int = 0


async def exchange_totals(session: AsyncSession) -> list[YearTotals]:
    """People (and, apart, bodies) returned to each party per year, newest year first."""
    years = (
        await session.exec(select(ExchangeYearTotal).order_by(col(ExchangeYearTotal.year).desc()))
    ).all()
    people_sums = {y.year: _sides(y.per_party) for y in years}
    body_sums = {y.year: _sides(y.bodies) for y in years}
    party_ids = {s[0] for sums in (people_sums, body_sums) for v in sums.values() for s in v}
    names: dict[int, str] = {}
    if party_ids:
        rows = await session.exec(select(Party.id, Party.name).where(col(Party.id).in_(party_ids)))
        names = {pid: name for pid, name in rows if pid is not None}

    def counted(sides: list[list[Any]]) -> tuple[SideTotal, ...]:
        found = (SideTotal(names.get(p, "?"), best, low, high) for p, best, low, high in sides)
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


def _sides(raw: str | None) -> list[list[Any]]:
    """A stored total's sides: [[party_id, best, low, high]] (migration 0019)."""
    return [[int(p), best, low, high] for p, best, low, high in json.loads(raw or "[]")]


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
    # A plain number is its own bounds; a range adds its bounds (and best figure, if any).
    best = col(ExchangeCount.returned)
    low = func.coalesce(col(ExchangeCount.returned_low), best)
    high = func.coalesce(col(ExchangeCount.returned_high), best)
    counts, sums = [], []
    for kind in (~of_bodies, of_bodies):  # living people, then bodies
        n = (await session.exec(select(func.count(col(Exchange.id))).where(*in_year, kind))).one()
        counts.append(n)
        # Seven columns: more than sqlmodel's select is typed for.
        columns: Any = sa_select(
            col(ExchangeCount.party_id),
            func.sum(best),
            func.count(best),
            func.sum(low),
            func.count(low),
            func.sum(high),
            func.count(high),
        )
        stmt = (
            columns.join(Exchange, col(Exchange.id) == col(ExchangeCount.exchange_id))
            .where(*in_year, kind)
            .group_by(col(ExchangeCount.party_id))
            .order_by(col(ExchangeCount.party_id))
        )
        rows = await session.exec(stmt)
        # A sum is only as good as its terms: an exchange of the year that gave this side no
        # number (or has no count for it) leaves the total without a best figure or upper bound.
        sides = [
            [
                pid,
                int(best_sum) if best_n == n else None,
                int(low_sum) if low_n else None,
                int(high_sum) if high_n == n else None,
            ]
            for pid, best_sum, best_n, low_sum, low_n, high_sum, high_n in rows
        ]
        sums.append(json.dumps(sides))
    row = await session.get(ExchangeYearTotal, year)
    if not any(counts):
        if row is not None:
            await session.delete(row)
        return
    row = row or ExchangeYearTotal(year=year)
    row.exchanges, row.body_returns = int(counts[0]), int(counts[1])
    row.per_party, row.bodies = sums
    session.add(row)


def totals_block(totals: Sequence[YearTotals]) -> str:
    """People returned to each side per year, over completed exchanges."""
    if not totals:
        return "<i>" + _("No completed exchanges on file yet.") + "</i>"
    lines = []
    for t in totals[:3]:
        sides = " · ".join(f"{esc(c.party)}: {c.text()}" for c in t.per_party)
        done = ngettext("{n} completed exchange", "{n} completed exchanges", t.exchanges).format(
            n=number(t.exchanges)
        )
        lines.append(
            _("<b>{year} totals</b> ({done}): {sides}").format(
                year=t.year, done=done, sides=sides or _("numbers not announced")
            )
        )
        if t.body_returns:
            dead = " · ".join(f"{esc(c.party)}: {c.bodies_text()}" for c in t.bodies)
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
