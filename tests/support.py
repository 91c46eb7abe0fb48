"""Helpers for tests that run the bot as a process, talk to it over HTTP, or wait for it."""

from __future__ import annotations

import asyncio
import inspect
import os
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram._utils.types import JSONDict
from telegram.request import RequestData

from bot.webhook import SECRET_HEADER
from core.settings import Settings
from fake_telegram import FAKE_TOKEN
from fake_telegram.server import FakeTelegramServer

REPO = Path(__file__).resolve().parents[1]
# Every setting the bot reads from the environment: a child process inherits none of them.
SETTING_NAMES = frozenset(name.upper() for name in Settings.model_fields)


def child_env(**settings: str) -> dict[str, str]:
    """The environment of a `python -m bot` child: no inherited bot settings, then `settings`."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
    env.update({"PYTHONPATH": str(REPO), **settings})
    return env


def fake_env(server: FakeTelegramServer, **settings: str) -> dict[str, str]:
    """A child's environment that points the bot, with the fake token, at the HTTP fake."""
    return child_env(
        BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=server.base_url,
        TELEGRAM_FILE_BASE=server.base_file_url,
        **settings,
    )


def run_cli(
    *args: str, cwd: Path, stdin: str = "", **settings: str
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` in `cwd` (no .env there) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=child_env(**settings),
        timeout=120,
        check=False,
    )


async def spawn_bot(
    *args: str, cwd: Path, env: dict[str, str], stdout: int | None = asyncio.subprocess.PIPE
) -> asyncio.subprocess.Process:
    """Start `python -m bot ARGS` in `cwd`, its stderr piped (and stdout unless told)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=stdout,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(proc: asyncio.subprocess.Process, seconds: float = 60) -> tuple[str, str]:
    """Wait for a child to exit; return its stdout and stderr."""
    out, err = await asyncio.wait_for(proc.communicate(), timeout=seconds)
    return (out or b"").decode(), (err or b"").decode()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool], what: str, seconds: float = 15.0
) -> None:
    """Poll `check` (plain or async) every 10 ms until true; fail the test after `seconds`."""
    for _ in range(int(seconds / 0.01)):
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


async def post_update(port: int, update: dict[str, Any], secret: str, path: str = "/hook") -> None:
    """Deliver an update to a webhook process as Telegram would, waiting until it listens."""
    async with aiohttp.ClientSession() as http:
        for _ in range(1200):  # a loaded 2-core machine may take a while to start a process
            try:
                async with http.post(
                    f"http://127.0.0.1:{port}{path}", json=update, headers={SECRET_HEADER: secret}
                ) as resp:
                    assert resp.status == 200
                    return
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.05)
    pytest.fail(f"the webhook on port {port} never listened")


class PostingBot:
    """A stand-in Bot for delivery, which posts sendMessage through `bot.request`.

    Subclasses script each message in `deliver` (raise to fail it; return its message id).
    """

    base_url = "http://127.0.0.1:9/botTOKEN"

    def __init__(self) -> None:
        self.request = self

    async def post(self, url: str, request_data: RequestData, **kwargs: Any) -> JSONDict:
        """Answer one sendMessage as Telegram would, after `deliver` has had its say."""
        assert url == f"{self.base_url}/sendMessage"
        params = request_data.parameters
        chat_id = int(params["chat_id"])  # type: ignore[arg-type]
        message_id = await self.deliver(chat_id, str(params["text"]))
        return {"message_id": message_id, "chat": {"id": chat_id, "type": "private"}}

    async def deliver(self, chat_id: int, text: str) -> int:
        """Deliver one message (or raise the TelegramError scripted for it)."""
        raise NotImplementedError
