"""Several replicas on one PostgreSQL database: webhook replicas and send-briefings processes."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.webhook import SECRET_HEADER
from fake_telegram.server import FakeTelegramServer
from services.delivery import CONCURRENCY
from store import queries
from store.db import create_engine, make_session_factory
from store.models import FactKind
from tests.conftest import FAKE_TOKEN
from tests.test_briefings import (
    _due_now_subscribers,
    _env,
    _finish,
    _spawn,
    all_ledger_rows,
    briefing_counts,
    briefings,
    wait_for,
)

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

SECRET = "replica-secret"
EDITOR = 4242


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _replica(tmp_path: Path, env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "webhook",
        cwd=tmp_path,
        env={**env, "PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _post(port: int, update: dict[str, Any]) -> None:
    """Deliver an update to a replica as Telegram would, waiting until it listens."""
    async with aiohttp.ClientSession() as http:
        for _ in range(1200):  # a loaded 2-core machine may take a while to start a replica
            try:
                async with http.post(
                    f"http://127.0.0.1:{port}/hook", json=update, headers={SECRET_HEADER: SECRET}
                ) as resp:
                    assert resp.status == 200
                    return
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.05)
    pytest.fail(f"replica on port {port} never listened")


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
        env = _env(
            BOT_TOKEN=FAKE_TOKEN,
            TELEGRAM_API_BASE=server.base_url,
            DATABASE_URL=database_url,
            SEED_ON_EMPTY="false",
            ADMIN_IDS=str(EDITOR),
            WEBHOOK_URL="https://bot.example.org/hook",
            WEBHOOK_SECRET=SECRET,
            BRIEFING_SWEEP="1s",
            BRIEFING_RATE="40",
        )
        port_a, port_b = _port(), _port()
        replica_a = await _replica(tmp_path, env, port_a)
        replica_b = await _replica(tmp_path, env, port_b)
        senders = [await _spawn(tmp_path, env), await _spawn(tmp_path, env)]
        try:
            await asyncio.gather(*(_finish(p) for p in senders))
            await wait_for(lambda: len(briefing_counts(api)) == n, "every subscriber briefed")
            # Several more sweeps of both replicas: nobody may get a second one.
            await asyncio.sleep(2.5)

            # An editor saves a fact through replica A; replica B answers with it.
            await _post(
                port_a,
                api.make_message(
                    "/add Replicas agree on Geneva\ndate: 2 June 2025\n"
                    "source: Example https://example.org/geneva",
                    chat_id=EDITOR,
                    user_id=EDITOR,
                ),
            )
            await wait_for(lambda: any("Preview" in m.plain for m in api.sent(EDITOR)), "preview")
            preview = next(m for m in api.sent(EDITOR) if "Preview" in m.plain)
            save = next(d for row in preview.buttons for label, d in row if "Save" in label)
            await _post(
                port_a,
                api.make_callback(preview.message_id, save, chat_id=EDITOR, user_id=EDITOR),
            )
            await wait_for(lambda: "Saved as U" in api.last(EDITOR).plain, "the save")
            await _post(port_b, api.make_message("/latest 1", chat_id=777, user_id=777))
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
        env = _env(
            BOT_TOKEN=FAKE_TOKEN,
            TELEGRAM_API_BASE=server.base_url,
            DATABASE_URL=database_url,
            SEED_ON_EMPTY="false",
            WEBHOOK_URL="https://bot.example.org/hook",
            WEBHOOK_SECRET=SECRET,
            DELIVERY_LEASE="1s",
            BRIEFING_SWEEP="1s",
            BRIEFING_RATE="20",
        )
        doomed = await _replica(tmp_path, env, _port())
        try:
            await wait_for(lambda: len(briefings(api)) >= n // 3, "the first replica's run")
        finally:
            doomed.send_signal(signal.SIGKILL)
            await asyncio.wait_for(doomed.communicate(), timeout=30)
        at_kill = len(briefings(api))
        assert at_kill < n, "the run finished before it could be killed"
        survivor = await _replica(tmp_path, env, _port())
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
    assert len(unknown) <= CONCURRENCY
    missing = {10_000 + i for i in range(n)} - set(counts)
    assert missing <= unknown, "a gap that is not recorded as in doubt"
    workers = {r.claimed_by for r in rows if r.status == "sent"}
    assert len(workers) == 2, "the survivor did not take over"


async def test_two_replicas_started_together_on_an_empty_database_seed_it_once(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeTelegramServer() as server:
        env = _env(
            BOT_TOKEN=FAKE_TOKEN,
            TELEGRAM_API_BASE=server.base_url,
            DATABASE_URL=database_url,
            LOG_LEVEL="INFO",
            WEBHOOK_URL="https://bot.example.org/hook",
            WEBHOOK_SECRET=SECRET,
        )
        ports = [_port(), _port()]
        replicas = [await _replica(tmp_path, env, port) for port in ports]
        try:
            for port in ports:
                await _healthy(port)
            for n, port in enumerate(ports):
                chat = 900 + n
                await _post(port, server.api.make_message("/rounds", chat_id=chat, user_id=chat))
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
            counts = await queries.count_facts(session)
            parties = await queries.parties_and_issues(session)
    finally:
        await engine.dispose()
    seed = json.loads((REPO / "store" / "seed" / "seed.json").read_text(encoding="utf-8"))
    assert counts[FactKind.UPDATE] == len(seed["updates"])
    assert len(parties) == len(seed["parties"]) + len(seed["issues"])
