"""Several replicas on one PostgreSQL database: webhook replicas and send-briefings processes."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import aiohttp
import pytest

from fake_telegram.server import FakeTelegramServer
from kinds.base import FactKind
from kinds.queries import count_facts
from services.delivery import concurrency
from store import queries
from store.db import create_engine, make_session_factory
from tests.support import REPO, fake_env, finish, free_port, post_update, spawn_bot, wait_for
from tests.test_briefings import (
    _due_now_subscribers,
    all_ledger_rows,
    briefing_counts,
    briefings,
)

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

SECRET = "replica-secret"
EDITOR = 4242


async def _replica(tmp_path: Path, env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    env = {**env, "PORT": str(port)}
    return await spawn_bot("webhook", cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL)


async def _healthy(port: int) -> None:
    """Wait until a replica started (imports, start-up checks, seeding) and answers /healthz."""
    async with aiohttp.ClientSession() as http:
        for _ in range(1200):
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectorError:
                pass
            await asyncio.sleep(0.1)
    pytest.fail(f"replica on port {port} never became healthy")


async def _stop(*procs: asyncio.subprocess.Process) -> None:
    for proc in procs:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        await asyncio.wait_for(proc.communicate(), timeout=30)


async def test_two_webhook_replicas_and_two_sender_runs_brief_everyone_once(
    database_url: str, tmp_path: Path
) -> None:
    n = 45
    await _due_now_subscribers(database_url, n)
    async with FakeTelegramServer() as server:
        api = server.api
        api.latency = 0.02
        api.inject_flood("sendMessage", times=6, retry_after=1)
        env = fake_env(
            server,
            DATABASE_URL=database_url,
            SEED_ON_EMPTY="false",
            ADMIN_IDS=str(EDITOR),
            WEBHOOK_URL="https://bot.example.org/hook",
            WEBHOOK_SECRET=SECRET,
            BRIEFING_SWEEP="1s",
            BRIEFING_RATE="40",
        )
        port_a, port_b = free_port(), free_port()
        replica_a = await _replica(tmp_path, env, port_a)
        replica_b = await _replica(tmp_path, env, port_b)
        senders = [
            await spawn_bot("send-briefings", cwd=tmp_path, env=env),
            await spawn_bot("send-briefings", cwd=tmp_path, env=env),
        ]
        try:
            await asyncio.gather(*(finish(p) for p in senders))
            await wait_for(lambda: len(briefing_counts(api)) == n, "every subscriber briefed")
            # Several more sweeps of both replicas: nobody may get a second one.
            await asyncio.sleep(2.5)

            # An editor saves a fact through replica A; replica B answers with it.
            await post_update(
                port_a,
                api.make_message(
                    "/add Replicas agree on Geneva\ndate: 2 June 2025\n"
                    "source: Example https://example.org/geneva",
                    chat_id=EDITOR,
                    user_id=EDITOR,
                ),
                SECRET,
            )
            await wait_for(lambda: any("Preview" in m.plain for m in api.sent(EDITOR)), "preview")
            preview = next(m for m in api.sent(EDITOR) if "Preview" in m.plain)
            save = next(d for row in preview.buttons for label, d in row if "Save" in label)
            await post_update(
                port_a,
                api.make_callback(preview.message_id, save, chat_id=EDITOR, user_id=EDITOR),
                SECRET,
            )
            await wait_for(lambda: "Saved as U" in api.last(EDITOR).plain, "the save")
            await post_update(
                port_b, api.make_message("/latest 1", chat_id=777, user_id=777), SECRET
            )
            await wait_for(lambda: bool(api.sent(777)), "replica B's answer")
            assert "Replicas agree on Geneva" in api.last(777).plain
        finally:
            await _stop(replica_a, replica_b)
        assert replica_a.returncode == 0 and replica_b.returncode == 0

    counts = briefing_counts(api)
    assert set(counts) == {10_000 + i for i in range(n)}
    assert max(counts.values()) == 1, "a subscriber got two briefings"
    engine = create_engine(database_url)
    try:
        rows = await all_ledger_rows(make_session_factory(engine))
    finally:
        await engine.dispose()
    briefing_rows = [r for r in rows if r.key.startswith("briefing:")]
    assert len(briefing_rows) == n and {r.status for r in briefing_rows} == {"sent"}
    # Whoever claimed a chat first sent it; everyone else skipped it (one batch may win it all).


async def test_a_replica_killed_mid_run_leaves_its_work_to_the_others(
    database_url: str, tmp_path: Path
) -> None:
    n = 60
    await _due_now_subscribers(database_url, n)
    async with FakeTelegramServer() as server:
        api = server.api
        api.latency = 0.05
        env = fake_env(
            server,
            DATABASE_URL=database_url,
            SEED_ON_EMPTY="false",
            WEBHOOK_URL="https://bot.example.org/hook",
            WEBHOOK_SECRET=SECRET,
            BRIEFING_SWEEP="1s",  # no short lease: a dead replica's claims are taken over at once
            BRIEFING_RATE="20",
        )
        doomed = await _replica(tmp_path, env, free_port())
        try:
            await wait_for(lambda: len(briefings(api)) >= n // 3, "the first replica's run")
        finally:
            doomed.send_signal(signal.SIGKILL)
            await asyncio.wait_for(doomed.communicate(), timeout=30)
        at_kill = len(briefings(api))
        assert at_kill < n, "the run finished before it could be killed"
        survivor = await _replica(tmp_path, env, free_port())
        try:
            engine = create_engine(database_url)
            sessions = make_session_factory(engine)

            async def settled() -> bool:
                rows = await all_ledger_rows(sessions)
                return len(rows) == n and all(r.status in ("sent", "unknown") for r in rows)

            try:
                await wait_for(settled, "the survivor to finish the dead replica's claims")
                rows = await all_ledger_rows(sessions)
            finally:
                await engine.dispose()
        finally:
            await _stop(survivor)

    counts = briefing_counts(api)
    assert max(counts.values()) == 1, "someone got two briefings"
    unknown = {r.chat_id for r in rows if r.status == "unknown"}
    assert len(unknown) <= concurrency(20)  # only what was on the wire, past the limiter
    missing = {10_000 + i for i in range(n)} - set(counts)
    assert missing <= unknown, "a gap that is not recorded as in doubt"
    workers = {r.claimed_by for r in rows if r.status == "sent"}
    assert len(workers) == 2, "the survivor did not take over"


async def test_two_replicas_started_together_on_an_empty_database_seed_it_once(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeTelegramServer() as server:
        env = fake_env(
            server,
            DATABASE_URL=database_url,
            LOG_LEVEL="INFO",
            WEBHOOK_URL="https://bot.example.org/hook",
            WEBHOOK_SECRET=SECRET,
        )
        ports = [free_port(), free_port()]
        replicas = [await _replica(tmp_path, env, port) for port in ports]
        try:
            for port in ports:
                await _healthy(port)
            for n, port in enumerate(ports):
                chat = 900 + n
                await post_update(
                    port, server.api.make_message("/rounds", chat_id=chat, user_id=chat), SECRET
                )
                await wait_for(lambda c=chat: bool(server.api.sent(c)), f"replica {n} answers")
                assert "Ciragan Palace" in server.api.last(chat).plain
        finally:
            for replica in replicas:
                if replica.returncode is None:
                    replica.send_signal(signal.SIGTERM)
            ends = [await asyncio.wait_for(r.communicate(), timeout=30) for r in replicas]
    logs = [err.decode() for _, err in ends]
    assert [r.returncode for r in replicas] == [0, 0], logs
    assert "Traceback" not in "".join(logs)
    assert sum(log.count("Seeded an empty store") for log in logs) == 1, logs
    engine = create_engine(database_url)
    try:
        async with make_session_factory(engine)() as session:
            counts = await count_facts(session)
            parties = await queries.parties_and_issues(session)
    finally:
        await engine.dispose()
    seed = json.loads((REPO / "store" / "seed" / "seed.json").read_text(encoding="utf-8"))
    assert counts[FactKind.UPDATE] == len(seed["updates"])
    assert len(parties) == len(seed["parties"]) + len(seed["issues"])
