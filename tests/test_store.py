"""The store on SQLite and PostgreSQL: migrations, seed, supersede chains, search, import/export."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import col, func, select

from kinds.base import FactKind
from kinds.dataset import dump_dataset
from kinds.editing import apply_edit, retract_fact
from kinds.exchange import ExchangeIn
from kinds.exchange_tables import Exchange
from kinds.exchange_totals import exchange_totals
from kinds.exchange_views import list_exchanges
from kinds.export import export_dataset
from kinds.position_chain import Position
from kinds.position_views import current_positions, position_history
from kinds.queries import search_facts
from kinds.round import list_rounds
from kinds.transfer import import_bytes, load_seed
from kinds.update import NewsUpdate, UpdateView, latest_updates
from store import facts, queries
from store.audit import Actor
from store.db import (
    SessionFactory,
    alembic_config,
    create_engine,
    current_revision,
    head_revision,
    make_session_factory,
    upgrade_schema,
)
from store.models import Citation, Issue, Party, SearchDoc, Source, Subscriber
from store.transfer import SEED_FILE
from store.views import SourceRef
from tests import factories
from tests.conftest import count_rows

D = dt.date
SYSTEM = Actor(id=None, name="test")


@pytest.fixture
def sessions(migrated_store: SessionFactory) -> SessionFactory:
    """A migrated, empty store on each backend."""
    return migrated_store


_count = count_rows


async def _party_issue(sessions: SessionFactory) -> tuple[Party, Issue]:
    async with sessions() as session:
        party = Party(key="alpha", name="Alpha", aliases="a-land")
        issue = Issue(key="border", name="Border", aliases="frontier, boundary")
        session.add_all([party, issue])
        await session.commit()
        return party, issue


def test_an_up_to_date_store_is_opened_without_importing_alembic(tmp_path: Path) -> None:
    # Alembic and mako cost ~0.13 s of every start; they are imported only to migrate.
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    script = (
        "import asyncio, sys\n"
        "from store.db import create_engine, upgrade_schema\n"
        "async def main():\n"
        f"    engine = create_engine({url!r})\n"
        "    await upgrade_schema(engine)\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in ('alembic', 'mako') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parent.parent
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    ]
    assert outputs == ["['alembic', 'mako']", "[]"]  # migrated once, then only opened


async def test_migration_0007_drops_the_facts_version_and_its_downgrade_restores_it(
    database_url: str,
) -> None:
    from alembic import command

    engine = create_engine(database_url)

    def tables(c: Any) -> set[str]:
        return set(inspect(c).get_table_names())

    try:
        await upgrade_schema(engine)
        async with engine.begin() as conn:
            assert "store_meta" not in await conn.run_sync(tables)
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0006"))
        async with engine.begin() as conn:
            assert "store_meta" in await conn.run_sync(tables)
            before = (await conn.execute(text("SELECT value FROM store_meta"))).scalar_one()
            await conn.execute(
                text("INSERT INTO party (key, name, aliases) VALUES ('a', 'Alpha', '')")
            )
        async with engine.begin() as conn:
            after = (await conn.execute(text("SELECT value FROM store_meta"))).scalar_one()
            assert after > before  # 0004's triggers are back
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
            assert "store_meta" not in await conn.run_sync(tables)
            await conn.execute(
                text("INSERT INTO party (key, name, aliases) VALUES ('b', 'Beta', '')")
            )
    finally:
        await engine.dispose()


async def test_migration_creates_schema_and_is_idempotent(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) is None
        await upgrade_schema(engine)
        await upgrade_schema(engine)
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert head is not None and await current_revision(engine) == head
        assert head_revision() == head  # read from the files' headers, without Alembic
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert {
            "party",
            "issue",
            "source",
            "citation",
            "talk_round",
            "news_update",
            "position",
            "exchange",
            "exchange_count",
            "search_doc",
            "subscriber",
            "audit_entry",
            "draft",
        } <= tables
    finally:
        await engine.dispose()


async def test_seed_loads_once_with_sources(sessions: SessionFactory) -> None:
    seed = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    async with sessions() as session:
        first = await load_seed(session)
    assert first.ok, first.errors
    assert first.created["updates"] == len(seed["updates"])
    assert first.created["positions"] == len(seed["positions"])
    async with sessions() as session:
        again = await load_seed(session)
    assert again.ok and not any(again.created.values())
    assert await _count(sessions, NewsUpdate) == len(seed["updates"])
    assert await _count(sessions, Position) == len(seed["positions"])
    assert await _count(sessions, Exchange) == len(seed["exchanges"])
    # Every seed fact names its source.
    async with sessions() as session:
        cited = (await session.exec(select(func.count(func.distinct(Citation.fact_id))))).one()
        page = await latest_updates(session, limit=20)
    assert cited > 0
    assert all(u.sources and u.sources[0].name == "Reuters" for u in page.items)
    assert {u.date for u in page.items} <= {D(2025, 6, 1), D(2025, 6, 2)}


async def test_export_then_import_gives_back_the_same_facts(
    sessions: SessionFactory, tmp_path: object
) -> None:
    async with sessions() as session:
        await load_seed(session)
    async with sessions() as session:
        # Retract one update so the export carries a retraction too.
        row = (await session.exec(select(NewsUpdate).order_by(col(NewsUpdate.id)))).first()
        assert row is not None and row.id is not None
        row.retracted_at = dt.datetime(2025, 6, 3, 9, 0, tzinfo=dt.UTC)
        row.retraction_reason = "duplicate"
        session.add(row)
        await facts.drop_search_doc(session, kind=FactKind.UPDATE, fact_id=row.id)
        await session.commit()
        exported = dump_dataset(await export_dataset(session))

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/copy.db")
    await upgrade_schema(engine)
    copy = make_session_factory(engine)
    try:
        async with copy() as session:
            report = await import_bytes(session, exported)
        assert report.ok, report.errors
        async with copy() as session:
            again = dump_dataset(await export_dataset(session))

        def strip(text: str) -> dict[str, Any]:
            return {k: v for k, v in json.loads(text).items() if k != "exported_at"}

        assert strip(again) == strip(exported)
        retracted = [u for u in json.loads(again)["updates"] if "retracted" in u]
        assert len(retracted) == 1 and retracted[0]["retracted"]["reason"] == "duplicate"
    finally:
        await engine.dispose()


async def test_bad_import_writes_nothing_and_names_each_problem(sessions: SessionFactory) -> None:
    bad = {
        "format": "peace-briefing/1",
        "parties": [{"key": "alpha", "name": "Alpha"}],
        "issues": [{"key": "border", "name": "Border"}],
        "updates": [
            {"key": "ok-one", "date": "2025-01-01", "headline": "Fine", "sources": []},
            {"key": "bad-date", "date": "blurgh", "headline": "Broken"},
        ],
        "exchanges": [
            {"key": "neg", "date": "2025-01-02", "returned": {"alpha": -5}},
        ],
    }
    async with sessions() as session:
        report = await import_bytes(session, json.dumps(bad))
    assert not report.ok
    joined = "\n".join(report.errors)
    assert "updates[1] (bad-date): date" in joined
    assert "exchanges[0] (neg): returned.alpha" in joined
    assert await _count(sessions, NewsUpdate) == 0
    assert await _count(sessions, Party) == 0

    unknown_ref = {
        "parties": [{"key": "alpha", "name": "Alpha"}],
        "positions": [
            {
                "party": "alpha",
                "issue": "nowhere",
                "stance": "x",
                "as_of": "2025-01-01",
                "sources": [{"name": "Test"}],
            }
        ],
        "updates": [{"date": "2025-01-01", "headline": "h", "sources": ["missing-source"]}],
    }
    async with sessions() as session:
        report = await import_bytes(session, json.dumps(unknown_ref))
    assert any("unknown issue 'nowhere'" in e for e in report.errors), report.errors
    assert any("unknown source 'missing-source'" in e for e in report.errors), report.errors
    assert await _count(sessions, Party) == 0, "refused import must roll back the parties too"

    async with sessions() as session:
        report = await import_bytes(session, b"{not json")
    assert report.errors and report.errors[0].startswith("not a JSON file")


async def test_a_stance_supersedes_only_what_it_names_and_retraction_restores(
    sessions: SessionFactory,
) -> None:
    party, issue = await _party_issue(sessions)
    async with sessions() as session:
        oldest = await factories.create_position(
            session, party=party, issue=issue, stance="No talks", as_of=D(2024, 6, 1)
        )
        old = await factories.create_position(
            session,
            party=party,
            issue=issue,
            stance="Keep the old line",
            as_of=D(2025, 1, 1),
            supersedes=[f"P{oldest.id}"],
        )
        new = await factories.create_position(
            session,
            party=party,
            issue=issue,
            stance="Accept a new line",
            as_of=D(2025, 3, 1),
            supersedes=[f"P{old.id}"],
        )
        # Said nothing about the others: it stands beside them, both current.
        truce = await factories.create_position(
            session, party=party, issue=issue, stance="Short local truces", as_of=D(2025, 3, 1)
        )
        await session.commit()
    async with sessions() as session:
        current = await current_positions(session, limit=10)
        history = await position_history(session, issue_id=issue.id or 0, limit=10)
        rows = {p.id: p for p in (await session.exec(select(Position))).all()}
    assert [p.stance for p in current.items] == ["Accept a new line", "Short local truces"]
    assert [p.stance for p in history.items] == [
        "No talks",
        "Keep the old line",
        "Accept a new line",
        "Short local truces",
    ]
    assert rows[oldest.id].superseded_by_id == old.id
    assert rows[old.id].superseded_by_id == new.id
    assert rows[new.id].superseded_by_id is None and rows[truce.id].superseded_by_id is None

    async with sessions() as session:
        await retract_fact(
            session, kind=FactKind.POSITION, fact_id=new.id, reason="misattributed", actor=SYSTEM
        )
        await session.commit()
    async with sessions() as session:
        current = await current_positions(session, limit=10)
        hits = await search_facts(session, query="accept new line", limit=10)
    assert [p.stance for p in current.items] == ["Keep the old line", "Short local truces"]
    assert hits.items == []


async def test_search_ranks_and_skips_retracted(sessions: SessionFactory) -> None:
    async with sessions() as session:
        older = await factories.create_update(
            session, date=D(2025, 5, 1), headline="Ceasefire proposal", summary="A ceasefire plan."
        )
        newer = await factories.create_update(
            session, date=D(2025, 6, 1), headline="Ceasefire proposal", summary="A ceasefire plan."
        )
        await factories.create_update(
            session, date=D(2025, 6, 2), headline="Unrelated sanctions news"
        )
        gone = await factories.create_update(
            session, date=D(2025, 6, 3), headline="Ceasefire rumour"
        )
        await session.commit()
    async with sessions() as session:
        row = await session.get(NewsUpdate, gone.id)
        assert row is not None
        row.retracted_at = dt.datetime.now(dt.UTC)
        session.add(row)
        await facts.drop_search_doc(session, kind=FactKind.UPDATE, fact_id=gone.id or 0)
        await session.commit()
    async with sessions() as session:
        page = await search_facts(session, query="ceasefire", limit=10)
        stemmed = await search_facts(session, query="proposals", limit=10)
        operators = await search_facts(session, query='ceasefire AND "OR * NEAR(', limit=5)
    ids = [f.id for _, f in page.items]
    # Equal matches: the newer first; the retracted one never.
    assert ids == [newer.id, older.id]
    assert [f.id for _, f in stemmed.items] == [newer.id, older.id]
    assert operators.items == []
    assert await _count(sessions, SearchDoc) == 3


async def test_latest_since_and_paging(sessions: SessionFactory) -> None:
    async with sessions() as session:
        for day in range(1, 13):
            await factories.create_update(session, date=D(2025, 5, day), headline=f"Day {day}")
        await session.commit()
    async with sessions() as session:
        first = await latest_updates(session, limit=5)
        second = await latest_updates(session, limit=5, offset=5)
        since = await latest_updates(session, limit=20, since=D(2025, 5, 10))
    assert [u.headline for u in first.items] == [f"Day {d}" for d in range(12, 7, -1)]
    assert first.has_more and second.has_more
    assert [u.headline for u in second.items] == [f"Day {d}" for d in range(7, 2, -1)]
    assert [u.headline for u in since.items] == ["Day 12", "Day 11", "Day 10"]
    assert not since.has_more


async def test_exchange_totals_count_completed_per_year(sessions: SessionFactory) -> None:
    async with sessions() as session:
        a = Party(key="a", name="Alpha")
        b = Party(key="b", name="Beta")
        session.add_all([a, b])
        await session.flush()
        for date, n, status in [
            (D(2024, 12, 30), 150, "completed"),
            (D(2025, 5, 23), 390, "completed"),
            (D(2025, 5, 24), 307, "completed"),
            (D(2025, 6, 2), None, "agreed"),
        ]:
            await factories.create_exchange(
                session, date=date, returned=[(a, n), (b, n)], status=status
            )
        await session.commit()
    async with sessions() as session:
        totals = await exchange_totals(session)
        listed = await list_exchanges(session, limit=10)
    assert [(t.year, t.exchanges) for t in totals] == [(2025, 2), (2024, 1)]
    assert [(c.party, c.returned) for c in totals[0].per_party] == [("Alpha", 697), ("Beta", 697)]
    assert listed.items[0].status == "agreed"
    assert listed.items[0].counts[0].returned is None


async def test_each_kind_reads_its_sources_in_citation_order(sessions: SessionFactory) -> None:
    # Sources come back inside each fact's own statement (a JSON subquery): check order, dates,
    # a missing URL and a fact without any, for every kind.
    party, issue = await _party_issue(sessions)
    async with sessions() as session:
        later = Source(name="Later", url="https://later.example/a", published=D(2025, 6, 3))
        earlier = Source(name="Earlier & Co", url=None, published=None, title="T")
        session.add_all([later, earlier])
        await session.flush()
        assert later.id is not None and earlier.id is not None
        cited = [earlier.id, later.id]  # cited earlier first, though stored second
        await factories.create_update(
            session, date=D(2025, 6, 2), headline="Cited", source_ids=cited
        )
        await factories.create_update(session, date=D(2025, 6, 1), headline="Uncited")
        await factories.create_position(
            session, party=party, issue=issue, stance="s", as_of=D(2025, 6, 2), source_ids=cited
        )
        await factories.create_exchange(
            session,
            date=D(2025, 6, 2),
            returned=[(party, 5)],
            status="completed",
            source_ids=cited,
        )
        await factories.create_round(
            session, date=D(2025, 6, 2), title="Round", place="Istanbul", source_ids=cited
        )
        await session.commit()
    expected = (
        SourceRef(name="Earlier & Co", url=None, published=None, title="T"),
        SourceRef(name="Later", url="https://later.example/a", published=D(2025, 6, 3)),
    )
    async with sessions() as session:
        updates = (await latest_updates(session, limit=5)).items
        positions = (await current_positions(session, limit=5)).items
        exchanges = (await list_exchanges(session, limit=5)).items
        rounds = (await list_rounds(session, limit=5)).items
    assert [(u.headline, u.sources) for u in updates] == [("Cited", expected), ("Uncited", ())]
    assert [p.sources for p in positions] == [expected]
    assert [x.sources for x in exchanges] == [expected]
    assert [r.sources for r in rounds] == [expected]


@pytest.fixture
async def two_processes(database_url: str) -> AsyncIterator[tuple[SessionFactory, SessionFactory]]:
    """A migrated, empty store seen through two engines, standing for two processes."""
    first, second = create_engine(database_url), create_engine(database_url)
    await upgrade_schema(first)
    try:
        yield make_session_factory(first), make_session_factory(second)
    finally:
        await first.dispose()
        await second.dispose()


async def test_exchange_totals_follow_writes_from_another_process(
    two_processes: tuple[SessionFactory, SessionFactory],
) -> None:
    # Two engines stand for two processes: A reads, B writes, and A sees every write at once.
    a_sessions, b_sessions = two_processes
    async with a_sessions() as session:
        alpha = Party(key="a", name="Alpha")
        session.add(alpha)
        await session.flush()
        x = await factories.create_exchange(
            session, date=D(2025, 5, 23), returned=[(alpha, 390)], status="completed"
        )
        await factories.create_update(session, date=D(2025, 6, 2), headline="Round two")
        await factories.create_update(session, date=D(2025, 6, 3), headline="Lists swapped")
        await session.commit()
    for _ in range(2):
        async with a_sessions() as session:
            assert (await exchange_totals(session))[0].per_party[0].returned == 390
            page = await latest_updates(session, limit=5)
            assert [u.headline for u in page.items] == ["Lists swapped", "Round two"]

    async with b_sessions() as session:
        party = (await session.exec(select(Party))).one()
        await factories.create_exchange(
            session, date=D(2025, 5, 24), returned=[(party, 10)], status="completed"
        )
        newest = (
            await session.exec(select(NewsUpdate).where(NewsUpdate.headline == "Lists swapped"))
        ).one()
        newest.retracted_at = dt.datetime.now(dt.UTC)
        session.add(newest)
        await session.commit()
    async with a_sessions() as session:
        assert (await exchange_totals(session))[0].per_party[0].returned == 400
        page = await latest_updates(session, limit=5)
    assert [u.headline for u in page.items] == ["Round two"]  # the retraction is seen at once

    async with b_sessions() as session:
        await retract_fact(
            session, kind=FactKind.EXCHANGE, fact_id=x.id, reason="duplicate", actor=SYSTEM
        )
        await session.commit()
        await queries.record_chat(session, chat_id=9, chat_type="private", language_code=None)
    async with a_sessions() as session:
        totals = await exchange_totals(session)
    assert [(t.year, t.exchanges, t.per_party[0].returned) for t in totals] == [(2025, 1, 10)]


async def test_record_chat_keeps_first_seen(sessions: SessionFactory) -> None:
    async with sessions() as session:
        await queries.record_chat(session, chat_id=-100123, chat_type="group", language_code=None)
    async with sessions() as session:
        first = await queries.get_subscriber(session, chat_id=-100123)
        assert first is not None
        first_seen, last_seen = first.first_seen, first.last_seen
    async with sessions() as session:
        await queries.record_chat(
            session, chat_id=-100123, chat_type="supergroup", language_code="uk"
        )
    async with sessions() as session:
        row = await queries.get_subscriber(session, chat_id=-100123)
    assert row is not None
    assert row.first_seen == first_seen and row.first_seen.tzinfo is not None
    assert row.last_seen >= last_seen
    assert (row.chat_type, row.language_code, row.subscribed) == ("supergroup", "uk", False)
    assert await _count(sessions, Subscriber) == 1


def test_name_matching_is_forgiving() -> None:
    things = [
        queries.NamedThing("party", 1, "russia", "Russia", ("moscow", "kremlin")),
        queries.NamedThing("issue", 2, "children", "Deported children", ("kids", "deportation")),
        queries.NamedThing("issue", 3, "nato", "NATO and neutrality", ("nato", "neutrality")),
    ]
    assert queries.match_name("RUSSIA", things).found == things[0]
    assert queries.match_name("kids", things).found == things[1]
    assert queries.match_name("Nato", things).found == things[2]
    assert queries.match_name("deported", things).found == things[1]
    miss = queries.match_name("Rusia", things)
    assert miss.found is None and miss.suggestions == (things[0],)
    assert queries.match_name("Narnia", things).found is None


async def test_latest_updates_walks_the_date_index_on_sqlite(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    await upgrade_schema(engine)
    try:
        async with engine.connect() as conn:
            plan = (
                await conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT id FROM news_update WHERE retracted_at IS NULL "
                    "ORDER BY date DESC, id DESC LIMIT 6"
                )
            ).all()
            journal = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
    finally:
        await engine.dispose()
    details = " ".join(str(row[-1]) for row in plan)
    # The partial index on retracted_at must not lure the planner into a scan and a sort.
    assert "ix_news_update_date_id" in details and "TEMP B-TREE" not in details, details
    assert journal == "wal"


async def test_search_for_a_very_common_word_lists_newest_stored_first(
    sessions: SessionFactory,
) -> None:
    from store.queries import RANKED_MATCHES_MAX

    async with sessions() as session:
        for i in range(RANKED_MATCHES_MAX + 5):
            await factories.create_update(
                session, date=D(2025, 1, 1) + dt.timedelta(days=i % 50), headline=f"talks {i}"
            )
        await session.commit()
    async with sessions() as session:
        page = await search_facts(session, query="talks", limit=3)
        dialect = session.get_bind().dialect.name
    assert page.has_more and len(page.items) == 3
    updates = [f for _, f in page.items if isinstance(f, UpdateView)]
    if dialect == "sqlite":
        # Too common to rank: the most recently stored matches come first.
        newest = RANKED_MATCHES_MAX + 4
        assert [u.headline for u in updates] == [f"talks {newest - k}" for k in range(3)]
    else:
        # PostgreSQL ranks them equal, then newest event date first.
        assert [u.date for u in updates] == [D(2025, 1, 1) + dt.timedelta(days=49)] * 3


async def test_yearly_exchange_totals_follow_corrections_and_retractions(
    sessions: SessionFactory,
) -> None:
    async with sessions() as session:
        alpha = Party(key="a", name="Alpha")
        session.add(alpha)
        await session.flush()
        late = await factories.create_exchange(
            session, date=D(2024, 12, 30), returned=[(alpha, 150)], status="completed"
        )
        await factories.create_exchange(
            session, date=D(2025, 5, 23), returned=[(alpha, 390)], status="completed"
        )
        await session.commit()
    async with sessions() as session:
        before = await exchange_totals(session)
    assert [(t.year, t.exchanges, t.per_party[0].returned) for t in before] == [
        (2025, 1, 390),
        (2024, 1, 150),
    ]
    moved = ExchangeIn(
        date=D(2025, 1, 2), returned={"a": 151}, status="completed", sources=[{"name": "Test"}]
    )
    async with sessions() as session:
        await apply_edit(session, kind=FactKind.EXCHANGE, fact_id=late.id, item=moved, actor=SYSTEM)
        await session.commit()
    async with sessions() as session:
        after = await exchange_totals(session)
    assert [(t.year, t.exchanges, t.per_party[0].returned) for t in after] == [(2025, 2, 541)]
    async with sessions() as session:
        await retract_fact(
            session, kind=FactKind.EXCHANGE, fact_id=late.id, reason="double", actor=SYSTEM
        )
        await session.commit()
    async with sessions() as session:
        final = await exchange_totals(session)
    assert [(t.year, t.exchanges, t.per_party[0].returned) for t in final] == [(2025, 1, 390)]


async def test_migration_0009_fills_the_yearly_totals_from_stored_exchanges(
    database_url: str,
) -> None:
    from alembic import command

    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        async with make_session_factory(engine)() as session:
            alpha = Party(key="a", name="Alpha")
            session.add(alpha)
            await session.flush()
            for date, n in ((D(2025, 5, 23), 390), (D(2025, 5, 24), 307), (D(2024, 1, 1), 5)):
                await factories.create_exchange(
                    session, date=date, returned=[(alpha, n)], status="completed"
                )
            await session.commit()
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0008"))
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
        async with make_session_factory(engine)() as session:
            totals = await exchange_totals(session)
        assert [(t.year, t.exchanges, t.per_party[0].returned) for t in totals] == [
            (2025, 2, 697),
            (2024, 1, 5),
        ]
    finally:
        await engine.dispose()
