"""Returned bodies are counted apart from living people in every total, list and briefing."""

from __future__ import annotations

import datetime as dt
import json

from alembic import command
from sqlalchemy import text
from sqlmodel import select

from kinds.exchange import ExchangeYearTotal, exchange_totals
from kinds.transfer import import_bytes
from store.db import alembic_config, create_engine, make_session_factory, upgrade_schema
from store.models import Party
from tests import factories
from tests.conftest import Harness
from tests.test_positions import talks

__all__ = ["talks"]  # the fixture: the bot on the 2025 test set


async def test_yearly_totals_count_bodies_apart(talks: Harness) -> None:
    async with talks.sessions() as session:
        (row,) = (await session.exec(select(ExchangeYearTotal))).all()
        (totals,) = await exchange_totals(session)
    assert (row.year, row.exchanges, row.body_returns) == (2025, 9, 5)
    assert [(c.party, c.returned) for c in totals.per_party] == [
        ("Russia", 2076),
        ("Ukraine", 2114),
    ]
    assert [(c.party, c.returned) for c in totals.bodies] == [("Russia", 24), ("Ukraine", 5857)]

    text = (await talks.chat().ask("/exchanges")).plain
    lines = text.splitlines()
    assert lines[1] == (
        "2025 totals (9 completed exchanges): Russia: 2,076 people · Ukraine: 2,114 people"
    )
    assert lines[2] == (
        "   and, counted apart, bodies returned (5 handovers): Russia: 24 bodies · "
        "Ukraine: 5,857 bodies"
    )
    assert "7,971" not in text  # people and bodies are never added up
    block = text[text.index("✅ Completed · Thu 18 Sep 2025") :].split("\n\n")[0]
    assert "Returned to Ukraine: 1,000 bodies · to Russia: 24 bodies" in block


async def test_bodies_share_no_exchange_with_people(talks: Harness) -> None:
    mixed = {
        "format": "peace-briefing/1",
        "exchanges": [
            {
                "key": "mixed",
                "date": "2025-12-01",
                "returned": {"ukraine": 10},
                "categories": ["prisoners of war", "bodies"],
                "sources": [{"name": "Test"}],
            }
        ],
    }
    async with talks.sessions() as session:
        report = await import_bytes(session, json.dumps(mixed))
    assert report.errors == [
        "exchanges[0] (mixed): categories: Value error, returned bodies are an exchange of "
        'their own (categories: ["bodies"]), so that totals count them apart from living people'
    ]


async def test_migration_0011_recounts_stored_bodies_apart(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        async with make_session_factory(engine)() as session:
            alpha = Party(key="a", name="Alpha")
            session.add(alpha)
            await session.flush()
            for n, categories in ((390, ["soldiers"]), (1212, ["bodies"]), (5, [])):
                await factories.create_exchange(
                    session,
                    date=dt.date(2025, 6, 11),
                    returned=[(alpha, n)],
                    status="completed",
                    categories=categories,
                )
            await session.commit()
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0009"))
        async with engine.connect() as conn:
            old = await conn.execute(text("SELECT exchanges, per_party FROM exchange_year_total"))
            assert [tuple(r) for r in old] == [(3, "[[1, 1607]]")]  # bodies added in, as before
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
        async with make_session_factory(engine)() as session:
            (totals,) = await exchange_totals(session)
        assert (totals.exchanges, totals.body_returns) == (2, 1)
        assert [(c.party, c.returned) for c in totals.per_party] == [("Alpha", 395)]
        assert [(c.party, c.returned) for c in totals.bodies] == [("Alpha", 1212)]
    finally:
        await engine.dispose()
