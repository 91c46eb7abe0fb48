"""The backup drill: back up, wipe, restore, and the facts are the same (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.backup import backup, restore
from store.db import create_engine, make_session_factory, upgrade_schema
from store.models import Party
from tests.support import REPO, child_env


def _run(*args: str, cwd: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = child_env(DATABASE_URL=database_url, PYTHON=sys.executable)
    return subprocess.run(
        list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_backup_wipe_restore_gives_back_the_same_facts(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("postgresql") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    # Put something beyond the seed in: an import with a retraction.
    seeded = _run(
        sys.executable,
        "-m",
        "bot",
        "import",
        str(REPO / "docs/examples/import-example.json"),
        cwd=tmp_path,
        database_url=database_url,
    )
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    drill = _run(
        "bash",
        str(REPO / "scripts/backup-drill.sh"),
        str(tmp_path / "drill"),
        cwd=tmp_path,
        database_url=database_url,
    )
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "backup drill OK" in drill.stdout
    before = (tmp_path / "drill" / "before.json").read_text(encoding="utf-8")
    assert "Example" in before


def test_restore_refuses_a_missing_file(tmp_path: Path) -> None:
    done = _run(
        sys.executable,
        "-m",
        "bot",
        "restore",
        str(tmp_path / "nope.bin"),
        cwd=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db",
    )
    assert done.returncode == 2 and "no backup at" in done.stderr


async def test_restore_brings_back_the_facts_of_the_backup(
    database_url: str, tmp_path: Path
) -> None:
    if database_url.startswith("postgresql") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    engine = create_engine(database_url)
    await upgrade_schema(engine)
    sessions = make_session_factory(engine)
    try:
        async with sessions() as session:
            session.add(Party(key="a", name="Alpha"))
            await session.commit()
        backup_file = tmp_path / "store.bin"
        await engine.dispose()
        await asyncio.to_thread(backup, database_url, backup_file)
        async with sessions() as session:
            session.add(Party(key="b", name="Beta"))
            await session.commit()
        await engine.dispose()
        await asyncio.to_thread(restore, database_url, backup_file)
        async with sessions() as session:
            assert [p.key for p in (await session.exec(select(Party))).all()] == ["a"]
    finally:
        await engine.dispose()


async def _empty_store(url: str) -> None:
    engine = create_engine(url)
    await upgrade_schema(engine)
    await engine.dispose()


def test_a_bad_backup_leaves_the_database_and_its_wal_untouched(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/live.db"
    asyncio.run(_empty_store(url))
    live = tmp_path / "live.db"
    writer = sqlite3.connect(live)
    try:
        # 50 committed rows that live only in the WAL: no checkpoint while this stays open.
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        with writer:
            writer.executemany(
                "INSERT INTO party (key, name, aliases) VALUES (?, ?, '')",
                [(f"p{n}", f"Party {n}") for n in range(50)],
            )
        wal = Path(f"{live}-wal")
        wal_size = wal.stat().st_size
        assert wal_size > 0
        other = tmp_path / "other.db"
        with sqlite3.connect(other) as db:
            db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
            db.execute("INSERT INTO alembic_version VALUES ('0001')")
        db.close()
        garbage = tmp_path / "garbage.bin"
        garbage.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
        for bad, reason in ((garbage, "not a backup of this bot"), (other, "schema revision")):
            done = _run(
                sys.executable, "-m", "bot", "restore", str(bad), cwd=tmp_path, database_url=url
            )
            assert done.returncode == 2, done.stderr
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
            assert reason in done.stderr and "Traceback" not in done.stderr + done.stdout
            assert wal.stat().st_size == wal_size
            rows = writer.execute(
                "SELECT key FROM party WHERE key LIKE 'p%' ORDER BY id"
            ).fetchall()
            assert [r[0] for r in rows] == [f"p{n}" for n in range(50)]
    finally:
        writer.close()
    with sqlite3.connect(live) as db:
        assert db.execute("SELECT count(*) FROM party WHERE key LIKE 'p%'").fetchone() == (50,)
    db.close()


def test_libpq_tools_get_the_password_from_the_environment_not_argv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def fake_run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append((list(command), dict(kwargs["env"])))
        return subprocess.CompletedProcess(command, 0, stdout="", stderr="")

    monkeypatch.setattr(shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setattr(subprocess, "run", fake_run)
    url = "postgresql+asyncpg://bot:s3cr3t-pw@db.internal:5432/briefing"
    backup(url, tmp_path / "b.bin")
    assert [c[0] for c, _ in calls] == ["pg_dump"]
    argv, env = calls[0]
    assert not any("s3cr3t-pw" in arg for arg in argv)
    assert "postgresql://bot@db.internal:5432/briefing" in argv
    assert env["PGPASSWORD"] == "s3cr3t-pw"
