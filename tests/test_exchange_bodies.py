"""Returned bodies are counted apart from living people in every total, list and briefing."""

from __future__ import annotations

import datetime as dt
import json

from alembic import command
from sqlalchemy import text
from sqlmodel import select

from kinds.dataset import dump_dataset
from kinds.exchange_tables import ExchangeYearTotal
from kinds.exchange_totals import exchange_totals
from kinds.export import export_dataset
from kinds.transfer import import_bytes
from store.db import alembic_config, create_engine, make_session_factory, upgrade_schema
from store.models import Party
from tests import factories
from tests.conftest import Harness
from tests.test_dataset import all_pages
from tests.test_positions import EDITOR, talks

__all__ = ["talks"]  # the fixture: the bot on the 2025 test set


async def test_yearly_totals_count_bodies_apart(talks: Harness) -> None:
    async with talks.sessions() as session:
        (row,) = (await session.exec(select(ExchangeYearTotal))).all()
        (totals,) = await exchange_totals(session)
    assert (row.year, row.exchanges, row.body_returns) == (2025, 9, 5)
    # Two exchanges of 9 and 10 June gave neither side's number; Russia's bodies were announced
    # once in five handovers: those totals are lower bounds, stored without a best or a high.
    assert json.loads(row.per_party) == [[1, None, 2114, None], [2, None, 2076, None]]
    assert json.loads(row.bodies) == [[1, 5857, 5857, 5857], [2, None, 24, None]]
    assert [(c.party, c.returned, c.low, c.high) for c in totals.per_party] == [
        ("Russia", None, 2076, None),
        ("Ukraine", None, 2114, None),
    ]
    assert [(c.party, c.returned) for c in totals.bodies] == [("Russia", None), ("Ukraine", 5857)]

    text = (await talks.chat().ask("/exchanges")).plain
    lines = text.splitlines()
    assert lines[1] == (
        "2025 totals (9 completed exchanges): Russia: at least 2,076 people · "
        "Ukraine: at least 2,114 people"
    )
    assert lines[2] == (
        "   and, counted apart, bodies returned (5 handovers): Russia: at least 24 bodies · "
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


async def test_migration_0019_recounts_totals_as_announced(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        async with make_session_factory(engine)() as session:
            alpha, beta = Party(key="a", name="Alpha"), Party(key="b", name="Beta")
            session.add_all([alpha, beta])
            await session.flush()
            for a, b in ((390, {"low": 900, "best": 1000, "high": 1100}), (None, 5)):
                await factories.create_exchange(
                    session,
                    date=dt.date(2025, 6, 11),
                    returned=[(alpha, a), (beta, b)],
                    status="completed",
                )
            await factories.create_exchange(
                session,
                date=dt.date(2024, 6, 11),
                returned=[(beta, {"low": 1, "high": 3})],
                status="completed",
            )
            await session.commit()
        ids = [alpha.id, beta.id]
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0018"))
        query = text("SELECT year, per_party FROM exchange_year_total ORDER BY year")
        async with engine.connect() as conn:
            old = [(y, json.loads(sides)) for y, sides in await conn.execute(query)]
        # As before: a missing number added as 0, a range without a best figure left out.
        assert old == [(2024, [[ids[1], 0]]), (2025, [[ids[0], 390], [ids[1], 1005]])]
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
        async with engine.connect() as conn:
            new = [(y, json.loads(sides)) for y, sides in await conn.execute(query)]
        assert new == [
            (2024, [[ids[1], None, 1, 3]]),
            (2025, [[ids[0], None, 390, None], [ids[1], 1005, 905, 1105]]),
        ]
        async with make_session_factory(engine)() as session:
            shown = [[c.text() for c in t.per_party] for t in await exchange_totals(session)]
        assert shown == [
            ["at least 390 people", "about 1,005 people (905–1,105)"],
            ["1–3 people"],
        ]
    finally:
        await engine.dispose()


async def test_a_multi_day_exchange_shows_its_stages(talks: Harness) -> None:
    text = await all_pages(talks.chat(), "/exchanges", "▶")
    start = text.index("✅ Completed · Fri 23 May – Sun 25 May 2025")
    block = text[start:].split("\n\n")[0]
    assert "Returned to Ukraine: 1,000 people · to Russia: 1,000 people" in block
    assert "Stages: 23 May: 390 each · 24 May: 307 each · 25 May: 303 each" in block


async def test_stages_through_the_form_and_export(talks: Harness) -> None:
    chat = talks.chat(EDITOR)
    asked = await chat.ask(
        "/exchange\ndate: 1 Dec 2025\nreturned: Ukraine 30, Russia 25\n"
        "stages: 1 Dec 2025 | 20 | 15; 2 Dec 2025 | 10 | 10\nsource: Test"
    )
    assert "Stages: 1 Dec: to Ukraine 20, to Russia 15 · 2 Dec: 10 each" in asked.plain
    (saved,) = await chat.press(asked, "Save")
    assert saved.plain.startswith("✅ Saved as X")
    async with talks.sessions() as session:
        exported = json.loads(dump_dataset(await export_dataset(session)))
    (mine,) = [x for x in exported["exchanges"] if x["date"] == "2025-12-01"]
    assert mine["stages"] == [
        {"date": "2025-12-01", "returned": {"ukraine": 20, "russia": 15}},
        {"date": "2025-12-02", "returned": {"ukraine": 10, "russia": 10}},
    ]
    refused = await chat.ask(
        "/exchange\ndate: 1 Dec 2025\nreturned: Ukraine 30, Russia 25\n"
        "stages: 1 Dec 2025 | 20\nsource: Test"
    )
    assert "stages: give each day as “23 May 2025 | 390 | 390”, one number per side" in (
        refused.plain
    )
