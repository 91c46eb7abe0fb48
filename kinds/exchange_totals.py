"""Yearly totals of completed exchanges: kept by every write, read and shown by /exchanges."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import _, ngettext
from core.text import esc, number
from kinds.common import people
from kinds.exchange_tables import BODIES, Exchange, ExchangeCount, ExchangeStatus, ExchangeYearTotal
from kinds.exchange_views import ReturnedCount, bodies
from store.models import Party


@dataclass(frozen=True, slots=True)
class YearTotals:
    """People returned to each party in one year's completed exchanges."""

    year: int
    per_party: tuple[ReturnedCount, ...] = ()
    exchanges: int = 0
    bodies: tuple[ReturnedCount, ...] = ()
    body_returns: int = 0


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
