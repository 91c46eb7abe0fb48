"""Start-up problems through the real `python -m bot`: one scrubbed line and a documented status."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.startup import EXIT_DATABASE, EXIT_SETTINGS, EXIT_TELEGRAM
from fake_telegram import FAKE_TOKEN
from fake_telegram.server import FakeTelegramServer
from tests.conftest import POSTGRES_URL
from tests.support import child_env as cli_env

WRONG_TOKEN = "987654:WRONG-TOKEN-SECRET-PART"


async def _bot(*args: str, cwd: Path, **env: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=cli_env(**env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=180)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _assert_one_line(status: int, out: str, err: str, expected: int, *words: str) -> None:
    assert status == expected, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in out + err
    assert FAKE_TOKEN not in out + err and WRONG_TOKEN not in out + err
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("command", ["run", "webhook", "send-briefings"])
async def test_a_rejected_token_is_one_line_without_the_token(tmp_path: Path, command: str) -> None:
    async with FakeTelegramServer() as server:
        status, out, err = await _bot(
            command,
            cwd=tmp_path,
            BOT_TOKEN=WRONG_TOKEN,
            TELEGRAM_API_BASE=server.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/b.db",
            WEBHOOK_URL="https://bot.example.org/telegram",
            WEBHOOK_SECRET="s3cret",
            PORT="1",
        )
    _assert_one_line(status, out, err, EXIT_SETTINGS, "Telegram rejected BOT_TOKEN")


async def test_an_unreachable_telegram_is_one_line(tmp_path: Path) -> None:
    status, out, err = await _bot(
        cwd=tmp_path,
        BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE="http://127.0.0.1:9/bot",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/b.db",
    )
    _assert_one_line(status, out, err, EXIT_TELEGRAM, "Cannot reach Telegram")


def _sqlite_situations(tmp: Path) -> dict[str, tuple[str, int]]:
    (tmp / "blocker").write_text("a file, not a directory", encoding="utf-8")
    (tmp / "garbage.db").write_bytes(b"this is not a database at all\n" * 200)
    (tmp / "adir.db").mkdir()
    ro = tmp / "ro.db"
    sqlite3.connect(ro).close()
    future = tmp / "future.db"
    with sqlite3.connect(future) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        db.execute("INSERT INTO alembic_version VALUES ('ffffffffffff')")
    db.close()
    return {
        "missing directory": (f"sqlite+aiosqlite:///{tmp}/blocker/sub/b.db", EXIT_DATABASE),
        "garbage file": (f"sqlite+aiosqlite:///{tmp}/garbage.db", EXIT_DATABASE),
        "a directory": (f"sqlite+aiosqlite:///{tmp}/adir.db", EXIT_DATABASE),
        "read-only file": (f"sqlite+aiosqlite:///file:{ro}?mode=ro&uri=true", EXIT_DATABASE),
        "unknown schema revision": (f"sqlite+aiosqlite:///{future}", EXIT_DATABASE),
        "malformed URL": ("sqlite+aiosqlite//nowhere", EXIT_SETTINGS),
        "unsupported backend": ("mysql://u@localhost/db", EXIT_SETTINGS),
        "bad port": ("postgresql+asyncpg://u:pw@127.0.0.1:port/db", EXIT_SETTINGS),
    }


def _postgres_situations() -> dict[str, tuple[str, int]]:
    if not POSTGRES_URL:
        return {}
    base = make_url(POSTGRES_URL)
    return {
        "PostgreSQL refused": (
            base.set(port=9, password="pw-secret").render_as_string(hide_password=False),
            EXIT_DATABASE,
        ),
        "PostgreSQL missing database": (
            base.set(database="no_such_db_here").render_as_string(hide_password=False),
            EXIT_DATABASE,
        ),
    }


async def test_database_problems_at_start_are_one_line_with_their_status(tmp_path: Path) -> None:
    situations = {**_sqlite_situations(tmp_path), **_postgres_situations()}
    assert len(situations) >= 8
    slots = asyncio.Semaphore(2)  # the machine has 2 cores; each start imports the whole bot
    async with FakeTelegramServer() as server:

        async def attempt(url: str) -> tuple[int, str, str]:
            async with slots:
                return await _bot(
                    cwd=tmp_path,
                    BOT_TOKEN=FAKE_TOKEN,
                    TELEGRAM_API_BASE=server.base_url,
                    DATABASE_URL=url,
                )

        results = await asyncio.gather(*(attempt(url) for url, _ in situations.values()))
    for (name, (_, expected)), (status, out, err) in zip(situations.items(), results, strict=True):
        words = ["DATABASE_URL"] if expected == EXIT_SETTINGS else ["Cannot open the database"]
        try:
            _assert_one_line(status, out, err, expected, *words)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from exc
        assert "pw-secret" not in out + err, name
    # The garbage file is still garbage: nothing wrote over it.
    assert (tmp_path / "garbage.db").read_bytes().startswith(b"this is not a database")


# What only some commands or later updates need stays out of the way of every start.
_LAZY = (
    "aiohttp.web",  # webhook and web pages
    "aiohttp_jinja2",
    "alembic",  # migrations
    "babel",
    "dateparser",  # warmed up in a thread once polling starts
    "jinja2",
    "mako",
    "matplotlib",  # charts
    "numpy",
    "PIL",
)
_STARTS = f"""
import asyncio, sys
import bot.cli
from bot.app import build_application, close_store, open_store
from bot.startup import check_store
from core.settings import Settings
from services.scheduling import schedule_all
from store.models import Subscriber

async def start():  # what `python -m bot` does before its first getUpdates, Telegram aside
    await check_store(settings)
    app = build_application(settings)
    await open_store(app.bot_data)
    await schedule_all(app)
    await close_store(app.bot_data)

settings = Settings()
asyncio.run(start())
print(sorted(m for m in {_LAZY!r} if m in sys.modules), Subscriber.__mapper__.configured)
"""


def test_a_start_imports_only_what_polling_needs(tmp_path: Path) -> None:
    # Measured by bench/bench_startup.py: each of these costs a start tens of milliseconds.
    env = cli_env(BOT_TOKEN=FAKE_TOKEN, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/s.db")
    outputs = [
        subprocess.run(
            [sys.executable, "-c", _STARTS],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for _ in range(2)
    ]
    # The first start migrates (Alembic) and seeds the empty store (ORM); the second only opens
    # it, and reads the briefing slots with a Core statement: the mappers are configured later,
    # in the background.
    assert outputs[0].startswith("['alembic', 'mako'] True"), outputs[0]
    assert outputs[1] == "[] False", outputs[1]
