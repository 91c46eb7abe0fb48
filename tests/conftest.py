"""Fixtures: settings on a fresh store, the real Application wired to the strict fake Bot API."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import func, select
from telegram import Update

from bot.app import build_application, running
from core.context import BriefingApp
from core.settings import Settings
from fake_telegram import FAKE_TOKEN, LocalBotApi, LocalRequest, SentMessage
from store.db import SessionFactory, create_engine, make_session_factory, upgrade_schema

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
NO_POSTGRES = "set TEST_POSTGRES_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"


async def _admin_exec(sql: str) -> None:
    assert POSTGRES_URL is not None
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[str]:
    """A fresh, empty database per test: a SQLite file, and a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/briefing.db"
        return
    if not POSTGRES_URL:
        pytest.skip(f"PostgreSQL tests skipped: {NO_POSTGRES}")
    name = f"briefing_test_{uuid.uuid4().hex[:12]}"
    await _admin_exec(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    """A fresh SQLite file for tests that need only the embedded store."""
    return f"sqlite+aiosqlite:///{tmp_path}/briefing.db"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for tests: no .env, a fake token, Kyiv time."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "bot_token": FAKE_TOKEN,
        "admin_ids": frozenset({42}),
        "timezone": "Europe/Kyiv",
        "log_level": "INFO",
        # Pacing is tested where it matters (deliveries); elsewhere it only slows tests down.
        "rate_limit": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class Harness:
    """The running bot, its fake Bot API, and the errors its handlers raised."""

    app: BriefingApp
    api: LocalBotApi
    errors: list[BaseException] = field(default_factory=list)

    @property
    def sessions(self) -> SessionFactory:
        """The app's own session factory, for arranging and checking rows."""
        sessions = self.app.bot_data.sessions
        assert sessions is not None
        return sessions

    def chat(self, chat_id: int = 5001, **kwargs: Any) -> Chat:
        """A conversation with the bot in one chat."""
        return Chat(self, chat_id, **kwargs)


@dataclass
class Chat:
    """One chat with the bot: send text, press buttons, read what came back."""

    bot: Harness
    chat_id: int
    user_id: int | None = None
    chat_type: str = "private"
    language_code: str | None = "en"
    thread_id: int | None = None  # a forum topic of a supergroup

    async def send(self, text: str) -> list[SentMessage]:
        """Send a message as a user; return the bot's new messages and edits in this chat."""
        raw = self.bot.api.make_message(
            text,
            chat_id=self.chat_id,
            user_id=self.user_id or abs(self.chat_id),
            chat_type=self.chat_type,
            language_code=self.language_code,
            message_thread_id=self.thread_id,
        )
        return await self._process(raw)

    async def press(self, message: SentMessage, label: str) -> list[SentMessage]:
        """Press the inline button of `message` whose label contains `label`."""
        for row in message.buttons:
            for text_, data in row:
                if label in text_:
                    raw = self.bot.api.make_callback(
                        message.message_id,
                        data,
                        chat_id=self.chat_id,
                        user_id=self.user_id or abs(self.chat_id),
                        language_code=self.language_code,
                    )
                    return await self._process(raw)
        raise AssertionError(f"no button {label!r} in {message.buttons}")

    async def _process(self, raw: dict[str, Any]) -> list[SentMessage]:
        before = len(self.bot.api.sent(self.chat_id))
        await self.bot.app.process_update(Update.de_json(raw, self.bot.app.bot))
        return self.bot.api.sent(self.chat_id)[before:]

    async def ask(self, text: str) -> SentMessage:
        """Send a message and return the single reply (failing if there is not exactly one)."""
        replies = await self.send(text)
        assert len(replies) == 1, [r.plain for r in replies]
        return replies[0]


async def start_harness(settings: Settings) -> AsyncIterator[Harness]:
    """Build, start and finally stop the real Application against the in-process fake."""
    api = LocalBotApi()
    app = build_application(settings, request=LocalRequest(api), updates_request=LocalRequest(api))
    harness = Harness(app=app, api=api)

    async def collect(update: object, context: Any) -> None:
        harness.errors.append(context.error)

    app.add_error_handler(collect)
    async with running(app):
        yield harness


async def checked_harness(settings: Settings) -> AsyncIterator[Harness]:
    """start_harness for a fixture: the test fails if any handler raised."""
    async for harness in start_harness(settings):
        yield harness
        assert harness.errors == [], harness.errors


@pytest.fixture
async def seeded_bot(sqlite_url: str) -> AsyncIterator[Harness]:
    """The bot on a fresh SQLite store holding the seed facts."""
    async for harness in checked_harness(make_settings(sqlite_url)):
        yield harness


@pytest.fixture
async def empty_bot(sqlite_url: str) -> AsyncIterator[Harness]:
    """The bot on a fresh, unseeded SQLite store."""
    async for harness in checked_harness(make_settings(sqlite_url, seed_on_empty=False)):
        yield harness


async def migrated(url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on a migrated, empty store at `url`, its engine disposed after."""
    engine = create_engine(url)
    await upgrade_schema(engine)
    yield make_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def migrated_store(database_url: str) -> AsyncIterator[SessionFactory]:
    """A migrated, empty store on each backend."""
    async for sessions in migrated(database_url):
        yield sessions


async def count_rows(sessions: SessionFactory, model: type) -> int:
    """How many rows `model`'s table holds."""
    async with sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


EDITOR = 42  # the one editor of `editor_bot`


@pytest.fixture
async def editor_bot(database_url: str) -> AsyncIterator[Harness]:
    """The seeded bot on each backend, with user EDITOR as the only editor."""
    async for harness in checked_harness(
        make_settings(database_url, admin_ids=frozenset({EDITOR}))
    ):
        yield harness


def editor_chat(h: Harness) -> Chat:
    """The editor's private chat with `editor_bot`."""
    return h.chat(EDITOR, user_id=EDITOR)


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Clear the bot's settings from the environment for CLI tests."""
    for name in (
        "BOT_TOKEN",
        "ADMIN_IDS",
        "DATABASE_URL",
        "TELEGRAM_API_BASE",
        "TELEGRAM_FILE_BASE",
        "TIMEZONE",
        "BRIEFING_TIME",
        "LOG_LEVEL",
    ):
        monkeypatch.delenv(name, raising=False)
    yield
