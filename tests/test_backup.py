"""The backup drill: back up, wipe, restore, and the facts are the same (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from bot.backup import backup, restore
from store.db import create_engine, make_session_factory, upgrade_schema
from store.models import Party

REPO = Path(__file__).resolve().parents[1]


def _run(*args: str, cwd: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    env.update({"PYTHONPATH": str(REPO), "DATABASE_URL": database_url, "PYTHON": sys.executable})
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
