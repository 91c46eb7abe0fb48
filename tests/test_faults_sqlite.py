"""The fault suite on SQLite: another process holds the database's write lock (a maintenance
VACUUM, a backup tool, an operator's sqlite3 shell left in a transaction) for longer than the
busy timeout, then lets go. Commands answer briefly, the briefing run waits it out, nothing is
lost, and the bot works again once the lock is released.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import func, select

from handlers.errors import BUSY
from kinds.update import NewsUpdate
from services.delivery import send_due_briefings
from store.db import create_engine
from store.models import Subscriber
from store.outage import away_reason, database_away
from tests.conftest import Chat, make_settings, start_harness
from tests.test_briefings import MORNING, add_subscriber, all_ledger_rows, briefing_counts
from tests.test_faults import assert_whole_or_in_doubt, no_traceback

BUSY_TIMEOUT = 5.0  # store/db.py's PRAGMA busy_timeout

# Another process: BEGIN EXCLUSIVE, say so, hold it until a line comes on stdin, then COMMIT.
# (Under WAL, the bot's open connections keep anyone from locking readers out as well.)
HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN EXCLUSIVE")
db.execute("CREATE TABLE IF NOT EXISTS maintenance_mark (at TEXT)")
print("locked", flush=True)
sys.stdin.readline()
db.execute("DROP TABLE maintenance_mark")
db.execute("COMMIT")
print("released", flush=True)
"""


@asynccontextmanager
async def exclusive_lock(path: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """Another process holds the database's write lock until the block ends."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLDER,
        path,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
        assert line.strip() == b"locked", line
        yield proc
    finally:
        if proc.returncode is None:
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
            out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
            assert b"released" in out


async def test_sqlite_locked_by_another_process_past_the_busy_timeout_then_released(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = make_url(sqlite_url).database
    assert path is not None
    settings = make_settings(sqlite_url, briefing_rate=100)
    async for bot in start_harness(settings):
        chats = set(range(1, 21))
        for chat_id in chats:
            await add_subscriber(bot.sessions, chat_id)
        async with bot.sessions() as session:
            facts = (await session.exec(select(func.count()).select_from(NewsUpdate))).one()
        assert facts > 0, "the seed should hold news"
        reader = Chat(bot, 7001)
        writer = Chat(bot, 7002)

        async with exclusive_lock(path):
            started = time.monotonic()
            run = asyncio.create_task(
                send_due_briefings(bot.app.bot, bot.sessions, settings, now=MORNING)
            )
            # Reads go on under WAL while another process holds the write lock.
            latest = await reader.ask("/latest 1")
            assert latest.plain != BUSY and re.search(r"\bU\d+", latest.plain)
            # A write waits out the busy timeout, then gets a short answer.
            answer = await writer.ask("/subscribe 07:30")
            assert time.monotonic() - started >= BUSY_TIMEOUT - 0.5
            assert answer.plain == BUSY
            assert not run.done(), "the run gave up while the lock was held"
            assert briefing_counts(bot.api) == {}, "briefings went before they could be claimed"
            await asyncio.sleep(BUSY_TIMEOUT + 1 - (time.monotonic() - started))

        stats = await asyncio.wait_for(run, timeout=120)
        counts = briefing_counts(bot.api)
        rows = await all_ledger_rows(bot.sessions)
        assert_whole_or_in_doubt(rows, counts, chats)
        assert stats.sent == 20 and counts == {c: 1 for c in chats}
        # Recovered: the same write now goes through and is stored.
        again = await writer.ask("/subscribe 07:30")
        assert "try again" not in again.plain.lower(), again.plain
        async with bot.sessions() as session:
            row = await session.get(Subscriber, (7002, 0))
            assert row is not None and row.subscribed
            assert str(row.briefing_time)[:5] == "07:30"
            stored = (await session.exec(select(func.count()).select_from(NewsUpdate))).one()
            subscribers = (await session.exec(select(func.count()).select_from(Subscriber))).one()
        assert stored == facts, "facts were lost"
        assert subscribers == 21  # the 20, and the one that subscribed after the lock
        assert [type(e).__name__ for e in bot.errors] == ["OperationalError"]
    no_traceback(caplog.text)
    assert "INSERT INTO" not in caplog.text  # no SQL, nor its parameters (user text), logged
    assert (
        "Database unavailable chat=7002 text='/subscribe 07:30': OperationalError: database"
        " is locked" in caplog.text
    )


def test_only_an_unusable_database_counts_as_away() -> None:
    locked = OperationalError("INSERT INTO x VALUES (?)", ("secret",), Exception("locked"))
    assert database_away(locked) and away_reason(locked) == "Exception: locked"
    assert database_away(PoolTimeout("QueuePool limit reached"))
    assert database_away(ConnectionRefusedError(111, "Connection refused"))
    duplicate = IntegrityError("INSERT", (), Exception("UNIQUE constraint failed"))
    assert not database_away(duplicate)
    assert not database_away(ValueError("a bug"))
    try:
        try:
            raise ConnectionResetError(104, "reset")
        except ConnectionResetError as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as wrapped:
        assert database_away(wrapped)


async def test_a_failed_sqlite_connect_ends_its_worker_thread_before_answering(
    tmp_path: Path,
) -> None:
    # aiosqlite stops the thread of a failed connect without waiting; a thread still running when
    # the loop closes prints a traceback on the operator's terminal (seen in CI at start-up).
    (tmp_path / "adir.db").mkdir()
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/adir.db")
    before = set(threading.enumerate())
    try:
        for _ in range(20):
            with pytest.raises(OperationalError, match="unable to open database file"):
                async with engine.connect():
                    pass
            assert set(threading.enumerate()) - before == set()
    finally:
        await engine.dispose()
