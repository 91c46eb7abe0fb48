"""Import enforces every rule of docs/data-format.md and reports every refusal in one pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import col, select

from kinds.audit import snapshot
from kinds.base import FactKind
from kinds.position_chain import Position
from kinds.round import TalkRound
from kinds.transfer import import_bytes, import_with_seed
from kinds.update import NewsUpdate
from store.db import SessionFactory
from store.models import AuditEntry, Party
from tests.conftest import count_rows
from tests.support import run_cli

SRC = [{"name": "Test"}]


@pytest.fixture
def sessions(migrated_store: SessionFactory) -> SessionFactory:
    """A migrated, empty store on each backend."""
    return migrated_store


_count = count_rows


def _file(**lists: Any) -> str:
    return json.dumps({"format": "peace-briefing/1", **lists})


PARTIES = [
    {"key": "ukraine", "name": "Ukraine", "aliases": ["kyiv"]},
    {"key": "united-states", "name": "United States", "aliases": ["usa"]},
]


async def test_every_refusal_comes_in_one_pass_with_its_path_and_a_suggestion(
    sessions: SessionFactory,
) -> None:
    bad = _file(
        parties=[*PARTIES, {"key": "russia", "name": "Russia", "aliases": ["Moscow"]}],
        issues=[{"key": "nato", "name": "NATO"}],
        updates=[
            {"key": "u1", "date": "2025-06-02", "headline": "Talks", "sources": []},
            {
                "key": "u1",
                "date": "2025-06-03",
                "headline": "Again",
                "sources": ["reuters-2025-06-02"],
            },
            {
                "key": "u2",
                "date": "2025-06-03",
                "headline": "Tagged",
                "tags": ["talks, istanbul"],
                "sources": SRC,
            },
        ],
        positions=[
            {
                "key": "p1",
                "party": "United States",
                "issue": "nato",
                "stance": "Ukraine stays out",
                "as_of": "2025-11-20",
                "sources": SRC,
            },
            {
                "key": "p2",
                "party": "russia",
                "issue": "natto",
                "stance": "Neutral Ukraine",
                "as_of": "2025-06-02",
                "sources": ["reuters-2025-06-02"],
            },
        ],
        exchanges=[
            {
                "key": "x1",
                "date": "2025-05-23",
                "returned": {"ukraine": 390, "rusia": 390},
                "categories": ["soldiers, civilians"],
                "sources": SRC,
            }
        ],
        rounds=[
            {
                "key": "r1",
                "date": "2025-06-02",
                "place": "Istanbul",
                "delegations": [{"party": "ukraine", "head": "Umerov"}, {"party": "turkey"}],
                "sources": SRC,
            }
        ],
        sources=[{"key": "reuters-2025-06-01", "name": "Reuters"}],
    )
    async with sessions() as session:
        report = await import_bytes(session, bad)
    expected = {
        "parties[2] (russia): aliases.0: Value error, aliases are lowercase: write 'moscow'",
        "updates[0] (u1): sources: List should have at least 1 item after validation, not 0",
        "updates[2] (u2): tags.0: Value error, no commas inside one entry: labels are stored "
        "comma-separated; make it two entries or drop the comma",
        "exchanges[0] (x1): categories.0: Value error, no commas inside one entry: labels are "
        "stored comma-separated; make it two entries or drop the comma",
        "updates[1] (u1): key “u1” appears twice in updates (first at updates[0])",
        "positions[1] (p2): sources: unknown source 'reuters-2025-06-02' — did you mean "
        "reuters-2025-06-01?",
        "rounds[0] (r1): delegations[1].party: unknown party 'turkey'",
        "positions[0] (p1): party: unknown party 'United States' — did you mean united-states?",
        # Russia's declaration is refused (reported once); naming it is no further problem.
        "positions[1] (p2): issue: unknown issue 'natto' — did you mean nato?",
        "exchanges[0] (x1): returned.rusia: unknown party 'rusia'",
    }
    assert set(report.errors) == expected, report.errors
    assert len(report.errors) == len(expected)
    assert report.summary() == f"Import refused: {len(expected)} problems; nothing was written."
    for model in (Party, NewsUpdate, Position, TalkRound):
        assert await _count(sessions, model) == 0


ONE_UPDATE = _file(
    updates=[
        {"key": "talks-resume", "date": "2025-06-02", "headline": "Talks resume", "sources": SRC}
    ]
)


async def test_import_into_an_empty_store_loads_the_seed_first(sessions: SessionFactory) -> None:
    async with sessions() as session:
        seeded, report = await import_with_seed(session, ONE_UPDATE)
    assert seeded is not None and seeded.ok and seeded.created["positions"] == 14
    assert report.ok and report.created == {"sources": 1, "updates": 1}
    assert await _count(sessions, Position) == 14  # the seed's stances
    async with sessions() as session:
        again, report = await import_with_seed(session, ONE_UPDATE)
    assert again is None, "not empty any more: the seed is not loaded twice"
    assert report.summary() == "Imported nothing new; 1 already present, skipped."


async def test_a_refused_file_leaves_the_empty_store_empty(sessions: SessionFactory) -> None:
    async with sessions() as session:
        seeded, report = await import_with_seed(session, _file(updates=[{"key": "x"}]))
    assert seeded is not None and not report.ok
    assert await _count(sessions, Position) == 0 and await _count(sessions, NewsUpdate) == 0


async def test_no_seed_imports_the_file_alone(sessions: SessionFactory) -> None:
    async with sessions() as session:
        seeded, report = await import_with_seed(session, ONE_UPDATE, seed=False)
    assert seeded is None and report.ok
    assert await _count(sessions, Position) == 0 and await _count(sessions, NewsUpdate) == 1


def test_cli_import_says_the_seed_went_in_first(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(ONE_UPDATE, encoding="utf-8")
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    done = run_cli("import", str(path), cwd=first)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("The store was empty, so the seed went in first: Imported 4 parties")
    assert lines[1] == "Imported 1 sources, 1 updates."
    alone = run_cli("import", str(path), "--no-seed", cwd=second)
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.splitlines() == ["Imported 1 sources, 1 updates."]
    third = tmp_path / "c"
    third.mkdir()
    unseeded = run_cli("import", str(path), cwd=third, SEED_ON_EMPTY="false")
    assert unseeded.returncode == 0, unseeded.stderr
    assert unseeded.stdout.splitlines() == ["Imported 1 sources, 1 updates."]


async def test_the_same_key_twice_in_parties_is_an_error(sessions: SessionFactory) -> None:
    async with sessions() as session:
        report = await import_bytes(session, _file(parties=[*PARTIES, PARTIES[0]]))
    assert report.errors == [
        "parties[2] (ukraine): key “ukraine” appears twice in parties (first at parties[0])"
    ]
    assert await _count(sessions, Party) == 0


async def test_an_imports_audit_snapshots_are_read_in_batches_and_match_each_fact_read_alone(
    sessions: SessionFactory,
) -> None:
    raw = (Path(__file__).parent / "data" / "talks-2025.json").read_bytes()
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    async with sessions() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", seen)
        try:
            report = await import_bytes(session, raw)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        assert report.ok, report.errors
        kinds = {kind for kind, _id in report.facts}
        assert len(report.facts) == 100 and len(kinds) == 5  # the curated set: every kind
        # Sources read back once per kind (one chunk each), not once per fact.
        source_reads = [s for s in statements if s.startswith("SELECT citation.fact_id")]
        assert len(source_reads) == len(kinds)
        entries = (
            await session.exec(
                select(AuditEntry).where(AuditEntry.action == "import").order_by(col(AuditEntry.id))
            )
        ).all()
        assert [(e.fact_kind, e.fact_id) for e in entries] == [(str(k), i) for k, i in report.facts]
        for entry in entries:
            alone = await snapshot(session, kind=FactKind(entry.fact_kind), fact_id=entry.fact_id)
            assert json.loads(entry.after or "{}") == alone, (entry.fact_kind, entry.fact_id)
            assert alone and alone.get("sources"), "every fact of the set has a source"
