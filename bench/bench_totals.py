"""/exchanges yearly totals: the table kept on write against a GROUP BY over every exchange.

    .venv/bin/python -m bench.bench_totals            # 1k, 10k and 100k exchanges on SQLite
    .venv/bin/python -m bench.bench_totals --sizes 1000 10000 --postgres URL

Each size gets a fresh store with that many completed exchanges over three years (two counts
each). Both ways are timed in the same run, alternating, and the median is printed: what counts
is how each grows with the store, and the ratio between them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import extract, func, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bench.common import machine
from kinds.exchange_tables import Exchange, ExchangeCount
from kinds.exchange_totals import exchange_totals, refresh_year_total
from store.db import create_engine, make_session_factory, upgrade_schema
from store.models import Party

YEARS = (2023, 2024, 2025)


async def group_by_totals(session: AsyncSession) -> list[Any]:
    """The query /exchanges ran before the totals were kept on write (the baseline)."""
    year = extract("year", col(Exchange.date))
    live_completed = (col(Exchange.retracted_at).is_(None), Exchange.status == "completed")
    per_party = await session.exec(
        select(year, Party.name, func.sum(ExchangeCount.returned))
        .join(ExchangeCount, col(ExchangeCount.exchange_id) == col(Exchange.id))
        .join(Party, col(Party.id) == col(ExchangeCount.party_id))
        .where(*live_completed)
        .group_by(year, Party.name)
    )
    numbers = await session.exec(
        select(year, func.count(col(Exchange.id))).where(*live_completed).group_by(year)
    )
    return [*per_party.all(), *numbers.all()]


async def fill(url: str, n: int) -> None:
    """A migrated store with two parties and `n` completed exchanges, totals refreshed."""
    engine = create_engine(url)
    await upgrade_schema(engine)
    now = dt.datetime.now(dt.UTC)
    if url.startswith("sqlite"):
        now = now.replace(tzinfo=None)  # as store.models.UTCDateTime writes it there
    async with engine.begin() as conn:
        parties = "(1, 'a', 'A', ''), (2, 'b', 'B', '')"
        await conn.execute(text(f"INSERT INTO party (id, key, name, aliases) VALUES {parties}"))
        rows = [
            {"id": i, "date": dt.date(YEARS[i % 3], 1 + i % 12, 1 + i % 28), "now": now}
            for i in range(1, n + 1)
        ]
        await conn.execute(
            text(
                "INSERT INTO exchange (id, date, categories, status, created_at, updated_at) "
                "VALUES (:id, :date, '', 'completed', :now, :now)"
            ),
            rows,
        )
        await conn.execute(
            text(
                "INSERT INTO exchange_count (exchange_id, party_id, returned) "
                "VALUES (:id, 1, 10), (:id, 2, 12)"
            ),
            [{"id": i} for i in range(1, n + 1)],
        )
    async with make_session_factory(engine)() as session:
        for year in YEARS:
            await refresh_year_total(session, year=year)
        await session.commit()
    await engine.dispose()


async def timed(
    url: str, runs: int, ways: dict[str, Callable[[AsyncSession], Awaitable[Any]]]
) -> dict[str, float]:
    """Median milliseconds of each way, alternating, each in its own session."""
    engine = create_engine(url)
    sessions = make_session_factory(engine)
    samples: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(runs):
        for name, way in ways.items():
            async with sessions() as session:
                start = time.perf_counter()
                await way(session)
                samples[name].append((time.perf_counter() - start) * 1000)
    await engine.dispose()
    return {name: statistics.median(values) for name, values in samples.items()}


async def main() -> None:
    """Print the medians for each store size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres", help="an admin URL; a database is created per size")
    args = parser.parse_args()
    print(machine(["sqlalchemy", "aiosqlite", "asyncpg"]))
    print("exchanges | kept on write (ms) | GROUP BY (ms) | ratio")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url, admin, name = f"sqlite+aiosqlite:///{tmp}/t.db", None, ""
            if args.postgres:
                name = f"bench_totals_{uuid.uuid4().hex[:8]}"
                admin = create_async_engine(args.postgres, isolation_level="AUTOCOMMIT")
                async with admin.connect() as conn:
                    await conn.execute(text(f'CREATE DATABASE "{name}"'))
                url = make_url(args.postgres).set(database=name).render_as_string(False)
            try:
                await fill(url, n)
                ways: dict[str, Callable[[AsyncSession], Awaitable[Any]]] = {
                    "kept": exchange_totals,
                    "group_by": group_by_totals,
                }
                medians = await timed(url, args.runs, ways)
            finally:
                if admin is not None:
                    async with admin.connect() as conn:
                        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    await admin.dispose()
        kept, grouped = medians["kept"], medians["group_by"]
        print(f"{n:>9,} | {kept:18.2f} | {grouped:13.2f} | {grouped / kept:5.0f}×")


if __name__ == "__main__":
    asyncio.run(main())
