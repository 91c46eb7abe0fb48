"""The fault suite: delivery under kill -9, Telegram outages, slow answers, 429 storms and a
database that goes away. Each case checks the end state: every chat got exactly one whole
message, or its row is recorded in doubt; nothing is lost from the ledger; no traceback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import signal
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url
from sqlmodel import func, select
from telegram.error import NetworkError

from bot.aiohttp_request import AiohttpRequest
from bot.app import build_application, close_store, open_store
from fake_telegram import LocalBotApi
from fake_telegram.server import FakeTelegramServer
from kinds.update import NewsUpdate
from services import briefing_texts, delivery, sending
from services.delivery import send_due_briefings
from store import broadcasts
from store.db import SessionFactory, create_engine, make_session_factory, upgrade_schema
from store.models import AuditEntry, Broadcast, Delivery, SearchDoc, Subscriber, utcnow
from tests.conftest import POSTGRES_URL, make_settings
from tests.support import PostingBot, child_env, fake_env, finish, spawn_bot
from tests.test_briefings import (
    MORNING,
    _due_now_subscribers,
    add_subscriber,
    all_ledger_rows,
    briefing_counts,
    briefings,
)

BROADCAST = "Breaking: talks resume in Istanbul"


def assert_whole_or_in_doubt(rows: list[Delivery], counts: Counter[int], chats: set[int]) -> None:
    """Every chat: one row; sent and got exactly one, or in doubt and got at most one."""
    statuses = {r.chat_id: r.status for r in rows}
    assert len(rows) == len(chats) and set(statuses) == chats, "a chat was lost from the ledger"
    assert max(counts.values(), default=0) <= 1, "someone got the same message twice"
    assert set(counts) <= chats
    for chat_id, status in statuses.items():
        if status == "sent":
            assert counts[chat_id] == 1, f"chat {chat_id} recorded sent but got nothing"
        else:
            assert status == "unknown", f"chat {chat_id} ended {status}"


def no_traceback(*outputs: str) -> None:
    """Operator and user output carry one-line messages, never a traceback."""
    for output in outputs:
        assert "Traceback" not in output, output


# ------------------------------------------------------------------------ kill -9, then restart


async def _kill_after(proc: asyncio.subprocess.Process, reached: Any, k: int, what: str) -> str:
    """kill -9 once `reached()` is at least k (the process may take a while to start)."""
    try:
        for _ in range(600):
            if reached() >= k:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail(f"timed out waiting for {what}")
    finally:
        proc.send_signal(signal.SIGKILL)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return err.decode()


async def test_kill_9_at_a_random_point_of_a_briefing_run_then_restart_at_once(
    database_url: str, tmp_path: Path
) -> None:
    n = 40
    chats = {10_000 + i for i in range(n)}
    await _due_now_subscribers(database_url, n)
    kill_at = random.Random(database_url).randint(3, n - 10)  # a fresh point each database
    async with FakeTelegramServer() as server:
        server.api.latency = 0.02
        env = fake_env(
            server,
            DATABASE_URL=database_url,
            SEED_ON_EMPTY="false",
            BRIEFING_RATE="25",
        )
        first = await spawn_bot("send-briefings", cwd=tmp_path, env=env)
        err1 = await _kill_after(first, lambda: len(briefings(server.api)), kill_at, "the kill")
        assert len(briefings(server.api)) < n, "the run finished before it could be killed"
        second = await spawn_bot("send-briefings", cwd=tmp_path, env=env)
        out, err2 = await finish(second)
        assert second.returncode == 0, err2
        counts = briefing_counts(server.api)
    engine = create_engine(database_url)
    try:
        rows = await all_ledger_rows(make_session_factory(engine))
    finally:
        await engine.dispose()
    assert_whole_or_in_doubt(rows, counts, chats)
    unknown = [r for r in rows if r.status == "unknown"]
    assert len(unknown) <= delivery.concurrency(25)  # only what was on the wire at the kill
    assert f"{len(unknown)} in doubt" in out
    no_traceback(err1, out, err2)


async def _quiet_subscribers(database_url: str, n: int) -> int:
    """A migrated store with `n` subscribers none of whose briefings is due, and a broadcast."""
    engine = create_engine(database_url)
    await upgrade_schema(engine)
    sessions = make_session_factory(engine)
    try:
        async with sessions() as session:
            for i in range(n):
                local = utcnow() + dt.timedelta(hours=6)
                session.add(
                    Subscriber(
                        chat_id=20_000 + i,
                        chat_type="private",
                        subscribed=True,
                        briefing_time=local.time().replace(second=0, microsecond=0),
                        timezone="UTC",
                    )
                )
            await session.commit()
            return await broadcasts.create_broadcast(session, text=BROADCAST, created_by=42)
    finally:
        await engine.dispose()


async def test_a_broadcast_killed_mid_way_is_finished_by_the_next_start(
    database_url: str, tmp_path: Path
) -> None:
    n = 40
    chats = {20_000 + i for i in range(n)}
    broadcast_id = await _quiet_subscribers(database_url, n)

    def reached(api: LocalBotApi) -> Counter[int]:
        return Counter(m.chat_id for m in api.sent() if m.plain == BROADCAST)

    async with FakeTelegramServer() as server:
        server.api.latency = 0.02
        env = fake_env(
            server,
            DATABASE_URL=database_url,
            SEED_ON_EMPTY="false",
            BRIEFING_RATE="25",
        )
        first = await spawn_bot("send-briefings", cwd=tmp_path, env=env)
        kill_at = random.Random(7).randint(3, n - 10)
        err1 = await _kill_after(first, lambda: sum(reached(server.api).values()), kill_at, "kill")
        second = await spawn_bot("send-briefings", cwd=tmp_path, env=env)
        out, err2 = await finish(second)
        assert second.returncode == 0, err2
        assert "Broadcast run" in out
        counts = reached(server.api)
    engine = create_engine(database_url)
    try:
        sessions = make_session_factory(engine)
        rows = await all_ledger_rows(sessions)
        async with sessions() as session:
            row = await session.get(Broadcast, broadcast_id)
    finally:
        await engine.dispose()
    assert_whole_or_in_doubt(rows, counts, chats)
    assert sum(counts.values()) >= n - 3
    assert row is not None and row.finished_at is not None
    no_traceback(err1, out, err2)


# ------------------------------------------------------------- in-process, over HTTP to the fake


@asynccontextmanager
async def http_bot(
    database_url: str, **overrides: Any
) -> AsyncIterator[tuple[Any, SessionFactory, FakeTelegramServer, Any]]:
    """A real Application over HTTP to a fresh fake server, store opened."""
    read_timeout = overrides.pop("read_timeout", 5.0)
    async with FakeTelegramServer() as server:
        values: dict[str, Any] = {
            "seed_on_empty": False,
            "rate_limit": True,
            "briefing_rate": 100,
            "telegram_api_base": server.base_url,
            **overrides,
        }
        settings = make_settings(database_url, **values)
        app = build_application(settings, request=AiohttpRequest(read_timeout=read_timeout))
        await app.initialize()
        await open_store(app.bot_data)
        try:
            sessions = app.bot_data.sessions
            assert sessions is not None
            yield app, sessions, server, settings
        finally:
            await close_store(app.bot_data)
            await app.shutdown()


async def _chats(sessions: SessionFactory, n: int) -> set[int]:
    for chat_id in range(1, n + 1):
        await add_subscriber(sessions, chat_id)
    return set(range(1, n + 1))


async def test_a_telegram_outage_of_500s_is_ridden_out_and_everyone_gets_one(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with http_bot(database_url) as (app, sessions, server, settings):
        chats = await _chats(sessions, 30)
        server.faults.outage(1.5)
        stats = await send_due_briefings(app.bot, sessions, settings, now=MORNING)
        assert server.faults.refused > 0
        assert (stats.sent, stats.retrying, stats.unknown, stats.failed) == (30, 0, 0, 0)
        rows = await all_ledger_rows(sessions)
        assert_whole_or_in_doubt(rows, briefing_counts(server.api), chats)
        assert {r.status for r in rows} == {"sent"}
    no_traceback(caplog.text)


async def test_finished_runs_leave_no_advisory_lock_behind(database_url: str) -> None:
    async with http_bot(database_url) as (app, sessions, server, settings):
        await _chats(sessions, 3)
        for _ in range(3):
            await send_due_briefings(app.bot, sessions, settings, now=MORNING)
        async with sessions() as session:
            if session.get_bind().dialect.name != "postgresql":
                return  # SQLite runs are told alive by their pid, not by a lock
            held = await session.exec(  # type: ignore[call-overload]
                sql(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
            assert held.scalar_one() == 0, "a finished run still holds its lock"
        assert len(briefing_counts(server.api)) == 3


async def test_answers_slower_than_the_read_timeout_are_in_doubt_and_never_sent_twice(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with http_bot(sqlite_url, read_timeout=0.3) as (app, sessions, server, settings):
        chats = await _chats(sessions, 20)
        server.faults.slow(5, by=0.6)  # delivered at once, answered after the read timeout
        stats = await send_due_briefings(app.bot, sessions, settings, now=MORNING)
        again = await send_due_briefings(app.bot, sessions, settings, now=MORNING)
        counts = briefing_counts(server.api)
        rows = await all_ledger_rows(sessions)
    assert counts == {c: 1 for c in chats}, "a timed-out send was sent again"
    assert_whole_or_in_doubt(rows, counts, chats)
    late = {int(c) for c in server.faults.delayed}
    assert len(late) == 5 and {r.chat_id for r in rows if r.status == "unknown"} == late
    assert (stats.unknown, again.sent) == (5, 0) and stats.sent == 20 - len(late)
    no_traceback(caplog.text)


async def test_a_storm_of_429s_is_waited_out_and_everyone_gets_one(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with http_bot(sqlite_url, briefing_rate=80) as (app, sessions, server, settings):
        chats = await _chats(sessions, 40)
        server.api.rate_limit_per_second = 20  # Telegram allows a quarter of our pace
        server.api.inject_flood("sendMessage", times=10, retry_after=1)
        stats = await send_due_briefings(app.bot, sessions, settings, now=MORNING)
        counts = briefing_counts(server.api)
        rows = await all_ledger_rows(sessions)
    assert stats.sent == 40
    assert counts == {c: 1 for c in chats}
    assert_whole_or_in_doubt(rows, counts, chats)
    assert sum(1 for m, _ in server.api.calls if m == "sendMessage") > 40  # 429s happened
    no_traceback(caplog.text)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_database_whose_connections_are_killed_mid_run_loses_nothing(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert POSTGRES_URL is not None
    name = make_url(database_url).database
    async with http_bot(database_url, briefing_rate=60) as (app, sessions, server, settings):
        chats = await _chats(sessions, 40)
        server.api.latency = 0.02

        async def terminate() -> int:
            killed = 0
            for _ in range(3):
                await asyncio.sleep(0.2)
                engine = create_engine(POSTGRES_URL)
                try:
                    async with engine.connect() as conn:
                        result = await conn.execute(
                            sql(
                                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                " WHERE datname = :db AND pid <> pg_backend_pid()"
                            ),
                            {"db": name},
                        )
                        killed += int(result.scalar() or 0)
                finally:
                    await engine.dispose()
            return killed

        stats, killed = await asyncio.gather(
            send_due_briefings(app.bot, sessions, settings, now=MORNING), terminate()
        )
        assert killed > 0
        # What could not be claimed or marked while the database was away goes out next sweep.
        sweep = await send_due_briefings(app.bot, sessions, settings, now=MORNING)
        counts = briefing_counts(server.api)
        rows = await all_ledger_rows(sessions)
    assert_whole_or_in_doubt(rows, counts, chats)
    assert stats.sent + sweep.sent == sum(1 for r in rows if r.status == "sent") >= 40 - 5
    no_traceback(caplog.text)


# ------------------------------------------------------------------------ multi-message briefings


class PartsBot(PostingBot):
    """A stand-in Bot that delivers every message but a scripted failure's."""

    def __init__(self, failures: dict[tuple[int, str], int]) -> None:
        super().__init__()
        self.failures = failures
        self.got: dict[int, list[str]] = {}

    async def deliver(self, chat_id: int, text: str) -> int:
        left = self.failures.get((chat_id, text), 0)
        if left:
            self.failures[(chat_id, text)] = left - 1
            raise NetworkError("Internal Server Error (500)")  # answered: nothing delivered
        self.got.setdefault(chat_id, []).append(text)
        return len(self.got[chat_id])


async def test_a_briefing_cut_by_an_outage_resumes_from_the_next_part(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = ["Part one", "Part two", "Part three"]
    monkeypatch.setattr(briefing_texts, "briefing_parts", lambda *a, **k: [(p, ()) for p in parts])
    monkeypatch.setattr(sending, "RETRY_DELAYS", (0.0, 0.0))
    settings = make_settings(sqlite_url, seed_on_empty=False)
    engine = create_engine(sqlite_url)
    await upgrade_schema(engine)
    sessions = make_session_factory(engine)
    try:
        await _chats(sessions, 3)
        bot = PartsBot({(2, "Part two"): 3})  # outlasts the in-place retries
        first = await send_due_briefings(bot, sessions, settings, now=MORNING)  # type: ignore[arg-type]
        assert (first.sent, first.retrying) == (2, 1)
        async with sessions() as session:
            row = (await session.exec(select(Delivery).where(Delivery.chat_id == 2))).one()
            assert (row.status, row.parts_sent) == ("retry", 1)
            row.lease_until = utcnow() - dt.timedelta(seconds=1)  # its retry is due
            session.add(row)
            await session.commit()
        second = await send_due_briefings(bot, sessions, settings, now=MORNING)  # type: ignore[arg-type]
        assert (second.sent, second.skipped) == (1, 2)
        assert bot.got == {1: parts, 2: parts, 3: parts}
        rows = await all_ledger_rows(sessions)
        assert {r.chat_id: (r.status, r.parts_sent) for r in rows} == {
            1: ("sent", 3),
            2: ("sent", 3),
            3: ("sent", 3),
        }
    finally:
        await engine.dispose()


# ------------------------------------------------------------------------ kill -9 of an import


async def test_an_import_killed_mid_way_writes_all_or_nothing(
    database_url: str, tmp_path: Path
) -> None:
    n = 3000
    file = tmp_path / "big.json"
    file.write_text(
        json.dumps(
            {
                "format": "peace-briefing/1",
                "sources": [{"key": "src", "name": "Wire"}],
                "updates": [
                    {
                        "key": f"bulk-{i}",
                        "date": f"2025-0{1 + i % 9}-1{i % 9}",
                        "headline": f"Bulk update {i}",
                        "sources": ["src"],
                    }
                    for i in range(n)
                ],
            }
        ),
        encoding="utf-8",
    )
    engine = create_engine(database_url)
    await upgrade_schema(engine)
    await engine.dispose()
    env = child_env(DATABASE_URL=database_url, SEED_ON_EMPTY="false")
    # Killed at a different moment each run: before, during or after the one transaction.
    proc = await spawn_bot("import", str(file), cwd=tmp_path, env=env)
    await asyncio.sleep(random.uniform(0.5, 4.0))
    proc.send_signal(signal.SIGKILL)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    no_traceback(err.decode())
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            stored = (await session.exec(select(func.count()).select_from(NewsUpdate))).one()
            docs = (await session.exec(select(func.count()).select_from(SearchDoc))).one()
            audited = (await session.exec(select(func.count()).select_from(AuditEntry))).one()
    finally:
        await engine.dispose()
    assert stored in (0, n), f"a killed import left {stored} of {n} updates"
    assert docs == audited == stored  # every fact indexed and audited, or none
    done = await spawn_bot("import", str(file), cwd=tmp_path, env=env)
    out, err2 = await finish(done, 180)  # 3,000 facts: ~40 s idle, far more on a busy machine
    assert done.returncode == 0, err2
    no_traceback(out, err2)
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            again = (await session.exec(select(func.count()).select_from(NewsUpdate))).one()
    finally:
        await engine.dispose()
    assert again == n  # imported once, whatever the killed run had done
