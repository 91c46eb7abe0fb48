"""Start-up checks and their one-line answers: exit statuses, token check, store check.

Every command that talks to Telegram or the database runs inside `guarded`, so a start-up
problem ends with one scrubbed line on stderr and a documented exit status, never a traceback.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import sys
from collections.abc import Callable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.request import BaseRequest, HTTPXRequest

from bot.aiohttp_request import AiohttpRequest
from bot.app import SchemaOutOfDate, close_store, open_store
from core.context import BotData
from core.logs import REDACTED
from core.settings import Settings

log = logging.getLogger(__name__)

EXIT_FAILED = 1  # the command ran but did not succeed (failed sends, refused import)
EXIT_SETTINGS = 2  # a setting is missing or wrong, including a token Telegram rejects
# EXIT_CONFLICT (3): another process already receives this bot's updates (handlers.errors).
EXIT_TELEGRAM = 4  # Telegram could not be reached: try again later
EXIT_DATABASE = 5  # the database could not be opened, migrated or read

MAX_LINE = 300
_ASYNCPG_PREFIX = re.compile(r"^<class '[\w.]+'>: ")


class StartupFailure(Exception):
    """A start-up problem already put into words, with the exit status it ends with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def scrub(text: str, settings: Settings | None) -> str:
    """One line of `text` without the token or the database password, cut to a sane length."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    secrets: list[str] = []
    if settings is not None:
        if settings.token:
            secrets.append(settings.token)
        password = make_url(settings.database_url).password
        if password:
            secrets.append(str(password))
    for secret in secrets:
        line = line.replace(secret, REDACTED)
    return line[:MAX_LINE]


def _database_reason(exc: BaseException) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = _ASYNCPG_PREFIX.sub("", str(cause)) or type(cause).__name__
    return text


def _from_driver_or_alembic(exc: BaseException) -> bool:
    """An asyncpg error, or Alembic's CommandError (Alembic is only imported to migrate)."""
    if type(exc).__module__.startswith("asyncpg"):
        return True
    util = sys.modules.get("alembic.util")
    return util is not None and isinstance(exc, util.CommandError)


def explain(exc: BaseException, settings: Settings | None) -> StartupFailure:
    """Map an exception escaping a command to its exit status and one line for the operator."""
    if isinstance(exc, StartupFailure):
        return exc
    if isinstance(exc, SchemaOutOfDate):
        return StartupFailure(EXIT_SETTINGS, str(exc))
    if isinstance(exc, InvalidToken):
        return StartupFailure(
            EXIT_SETTINGS,
            "Telegram rejected BOT_TOKEN: check the token from @BotFather (see .env.example).",
        )
    if isinstance(exc, NetworkError):
        return StartupFailure(
            EXIT_TELEGRAM, f"Cannot reach Telegram: {scrub(str(exc), settings)} (try again later)."
        )
    if isinstance(exc, TelegramError):
        return StartupFailure(EXIT_TELEGRAM, f"Telegram refused: {scrub(str(exc), settings)}")
    if isinstance(exc, (SQLAlchemyError, sqlite3.Error, OSError)) or _from_driver_or_alembic(exc):
        return StartupFailure(
            EXIT_DATABASE,
            f"Cannot open the database: {scrub(_database_reason(exc), settings)}",
        )
    return StartupFailure(EXIT_FAILED, f"Failed: {type(exc).__name__}: {scrub(str(exc), settings)}")


def guarded(settings: Settings | None, action: Callable[[], int]) -> int:
    """Run a command; any exception becomes one scrubbed line on stderr and its exit status."""
    try:
        return action()
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        failure = explain(exc, settings)
        # The details go to the log at DEBUG only: a traceback may quote settings.
        log.debug("Start-up failure", exc_info=exc)
        print(str(failure), file=sys.stderr)
        return failure.status


async def check_token(settings: Settings) -> None:
    """Ask Telegram's getMe with the token before anything else uses it (raises on a bad one).

    PTB's polling loop logs its own traceback (token included) for a rejected token, so the
    check runs before polling starts, on a short-lived client of its own.
    """
    assert settings.token is not None

    def client() -> BaseRequest:
        # The bot's own client: aiohttp is imported anyway, while each httpx client (PTB's
        # default, for getUpdates too) loads a TLS context of its own (~20 ms).
        if settings.http_client == "aiohttp":
            return AiohttpRequest(connection_pool_size=1)
        return HTTPXRequest(connection_pool_size=1)

    bot = Bot(
        settings.token,
        base_url=settings.telegram_api_base or "https://api.telegram.org/bot",
        request=client(),
        get_updates_request=client(),
    )
    async with bot:  # initialize() calls getMe; a failure shuts the client down again
        pass


async def check_store(settings: Settings) -> None:
    """Open the store once (migrate, seed) and close it, so its problems show before serving."""
    data = BotData()
    data.settings = settings
    try:
        await open_store(data)
    finally:
        await close_store(data)
