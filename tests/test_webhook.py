"""Webhook mode, health checks, 409 on a second poller, and replicas sharing one database."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import build_application, running
from bot.webhook import SECRET_HEADER, make_web_app, webhook_path
from fake_telegram import FAKE_TOKEN, LocalBotApi
from fake_telegram.server import FakeTelegramServer
from store.db import create_engine
from tests.conftest import make_settings, start_harness
from tests.support import fake_env, finish, free_port, post_update, spawn_bot, wait_for

SECRET = "test-secret_123"


@pytest.fixture
async def webhook_site(
    sqlite_url: str,
) -> AsyncIterator[tuple[str, LocalBotApi, Any]]:
    """The real app behind our aiohttp webhook server, talking to the HTTP fake Bot API."""
    async with FakeTelegramServer() as fake:
        settings = make_settings(
            sqlite_url,
            telegram_api_base=fake.base_url,
            telegram_file_base=fake.base_file_url,
            webhook_url="https://bot.example.org/hook/abc",
            webhook_secret=SECRET,
        )
        app = build_application(settings)
        async with running(app):
            runner = web.AppRunner(make_web_app(app, settings))
            await runner.setup()
            port = free_port()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            try:
                yield f"http://127.0.0.1:{port}", fake.api, app
            finally:
                await runner.cleanup()


async def test_webhook_accepts_only_the_secret(webhook_site: tuple[str, LocalBotApi, Any]) -> None:
    base, api, _ = webhook_site
    update = api.make_message("/rounds", chat_id=901, user_id=901)
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            async with http.post(f"{base}/hook/abc", json=update, headers=headers) as resp:
                assert resp.status == 403
        await asyncio.sleep(0.2)
        assert api.sent(901) == [], "a refused request must never reach a handler"
        async with http.post(
            f"{base}/hook/abc", json=update, headers={SECRET_HEADER: SECRET}
        ) as resp:
            assert resp.status == 200
        await wait_for(lambda: len(api.sent(901)) == 1, "the reply", seconds=20)
        assert "Ciragan Palace" in api.last(901).plain
        async with http.post(
            f"{base}/hook/abc", data=b"not json", headers={SECRET_HEADER: SECRET}
        ) as resp:
            assert resp.status == 400
        # Valid JSON that is no update object: a list, a number, an object without update_id.
        for body in ([update], 7, {"message": update["message"]}, {"update_id": "x"}):
            async with http.post(
                f"{base}/hook/abc", json=body, headers={SECRET_HEADER: SECRET}
            ) as resp:
                assert resp.status == 400, body
                assert (await resp.json())["error"] == "bad update"
        await asyncio.sleep(0.2)
        assert len(api.sent(901)) == 1, "a refused body must never reach a handler"


async def test_healthz_says_only_ok_in_public_and_logs_why(
    webhook_site: tuple[str, LocalBotApi, Any],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    base, _, app = webhook_site
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database " * 100)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/healthz") as resp:
            assert resp.status == 200
            assert await resp.json() == {"ok": True}
        engine = app.bot_data.engine
        broken = create_engine(f"sqlite+aiosqlite:///{garbage}")
        app.bot_data.engine = broken  # as if the database had gone bad
        try:
            async with http.get(f"{base}/healthz") as resp:
                assert resp.status == 503
                assert await resp.json() == {"ok": False}
        finally:
            app.bot_data.engine = engine
            await broken.dispose()
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.webhook"]
    assert any("file is not a database" in m for m in logged), logged


def test_webhook_path_comes_from_the_url(sqlite_url: str) -> None:
    assert webhook_path(make_settings(sqlite_url, webhook_url="https://x.org/tg/secret")) == (
        "/tg/secret"
    )
    assert webhook_path(make_settings(sqlite_url, webhook_url="https://x.org")) == "/telegram"


async def test_webhook_command_registers_serves_and_stops(tmp_path: Path) -> None:
    async with FakeTelegramServer() as fake:
        port = free_port()
        env = fake_env(
            fake,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
            WEBHOOK_URL="https://bot.example.org/hook",
            WEBHOOK_SECRET=SECRET,
            PORT=str(port),
        )
        proc = await spawn_bot("webhook", cwd=tmp_path, env=env, stdout=None)
        try:
            await wait_for(
                lambda: fake.api.webhook_url == "https://bot.example.org/hook",
                "the webhook to be set",
                seconds=20,
            )
            sets = [p for m, p in fake.api.calls if m.lower() == "setwebhook"]
            assert sets and sets[-1]["secret_token"] == SECRET
            update = fake.api.make_message("/latest 1", chat_id=902, user_id=902)
            await post_update(port, update, SECRET)
            await wait_for(lambda: len(fake.api.sent(902)) == 1, "the reply", seconds=20)
            assert "Latest updates" in fake.api.last(902).plain
            # Anyone may send junk to a public port: answered 400, logged in one line each.
            for junk in MALFORMED_REQUESTS:
                assert (await _raw_request(port, junk)).startswith(b"HTTP/1.0 400")
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await finish(proc, seconds=30)
        assert proc.returncode == 0, err
        assert FAKE_TOKEN not in err
        assert "Traceback" not in err and "ERROR" not in err, err
        refused = [line for line in err.splitlines() if "Refused a malformed HTTP request" in line]
        assert [line.split(": ", 2)[-1] for line in refused] == [
            "Invalid char in url query",
            "Invalid char in url path",
            "Invalid character in Content-Length",
        ], err


MALFORMED_REQUESTS = [
    b"GET /?page=\xef\xbc\x91 HTTP/1.1\r\nHost: x\r\n\r\n",  # UTF-8 not percent-encoded
    b"GET /\xd0\xb0 HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",  # TLS to a plain HTTP port: not logged
]


async def _raw_request(port: int, data: bytes) -> bytes:
    """Send raw bytes to 127.0.0.1:`port` and return the start of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(64), timeout=10)
    finally:
        writer.close()


async def test_second_poller_gets_409_and_exits_with_one_line(tmp_path: Path) -> None:
    async with FakeTelegramServer() as fake:
        env = fake_env(
            fake, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/bot.db", LOG_FORMAT="json"
        )
        first = await spawn_bot(cwd=tmp_path, env=env, stdout=None)
        await wait_for(
            lambda: any(m.lower() == "getupdates" for m, _ in fake.api.calls),
            "the first poller",
            seconds=20,
        )
        second = await spawn_bot(cwd=tmp_path, env=env, stdout=None)
        done, _ = await asyncio.wait(
            [asyncio.create_task(first.wait()), asyncio.create_task(second.wait())],
            timeout=60,
            return_when=asyncio.FIRST_COMPLETED,
        )
        assert done, "neither poller noticed the conflict"
        loser, winner = (first, second) if first.returncode is not None else (second, first)
        winner.send_signal(signal.SIGINT)
        await asyncio.wait_for(winner.wait(), timeout=30)
        assert loser.returncode == 3
        assert loser.stderr is not None
        lines = [json.loads(line) for line in (await loser.stderr.read()).decode().splitlines()]
        conflicts = [e for e in lines if "409 Conflict" in e["message"]]
        assert len(conflicts) == 1 and conflicts[0]["level"] == "ERROR"
        assert not any(FAKE_TOKEN in json.dumps(e) for e in lines)


async def test_a_fact_saved_on_one_replica_is_answered_by_another(database_url: str) -> None:
    # Two replicas: two Applications with their own engines on one database.
    settings = make_settings(database_url, admin_ids=frozenset({42}))
    async for replica_a in start_harness(settings):
        async for replica_b in start_harness(settings):
            editor = replica_a.chat(42)
            preview = await editor.ask(
                # A day after the seed's last, whose lead story would come first on 2 June.
                "/add Replica test: talks resume in Geneva\ndate: 3 June 2025\n"
                "source: Example News https://example.org/geneva"
            )
            saved = await editor.press(preview, "Save")
            assert "Saved as U" in saved[-1].plain
            reader = replica_b.chat(77)
            answer = await reader.ask("/latest 1")
            assert "Replica test: talks resume in Geneva" in answer.plain
            found = await reader.ask("/search geneva")
            assert "Example News" in found.plain
