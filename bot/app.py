"""The application factory: one place that wires settings, database, handlers and hooks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import configure_mappers
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

import handlers
from bot.aiohttp_request import AiohttpRequest
from bot.processing import SLOW_DOWN, PerChatUpdateProcessor
from core.context import BotContext, BotData, BriefingApp
from core.dates import warm_up
from core.i18n import _, load_catalogs
from core.settings import Settings
from handlers.menus import set_menus
from kinds.queries import count_facts
from kinds.transfer import load_seed
from services.pacing import DepartingRateLimiter
from services.scheduling import schedule_all
from store import queries
from store.db import (
    create_engine,
    current_revision,
    head_revision,
    make_session_factory,
    setup_lock,
    upgrade_schema,
)

log = logging.getLogger(__name__)

# Tokens are only checked by Telegram itself; offline runs (console, tests) use this one.
OFFLINE_TOKEN = "123456:OFFLINE-NOT-A-REAL-TOKEN"
_WARM_UP = "dates_warm_up"
_MENUS = "menus_task"


class SchemaOutOfDate(RuntimeError):
    """The shared database needs `python -m bot migrate` before this version can run."""


async def open_store(bot_data: BotData) -> None:
    """Open the engine, bring an empty or SQLite store up to date, and seed an empty one."""
    settings = bot_data.settings
    assert settings is not None
    engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
    bot_data.engine = engine
    bot_data.sessions = make_session_factory(engine)
    try:
        # Replicas started together on an empty database: one migrates and seeds, the others
        # wait here and then find the work done.
        async with setup_lock(engine):
            await _bring_up_to_date(bot_data, engine)
    except BaseException:
        # Nothing stays open behind a failed start.
        await close_store(bot_data)
        raise


async def _bring_up_to_date(bot_data: BotData, engine: AsyncEngine) -> None:
    settings = bot_data.settings
    assert settings is not None and bot_data.sessions is not None
    revision = await current_revision(engine)
    if revision is None or engine.dialect.name == "sqlite":
        await upgrade_schema(engine)
    elif revision != head_revision():
        # Shared databases change schema only through `python -m bot migrate`, never by
        # whichever replica happens to start first.
        raise SchemaOutOfDate(
            f"The database schema is at revision {revision} but this version needs "
            f"{head_revision()}: run `python -m bot migrate` first."
        )
    if settings.seed_on_empty:
        async with bot_data.sessions() as session:
            counts = await count_facts(session)
            if not any(counts.values()) and not await queries.parties_and_issues(session):
                report = await load_seed(session)
                log.info("Seeded an empty store: %s", report.summary())


async def close_store(bot_data: BotData) -> None:
    """Dispose of the engine's connections."""
    if bot_data.engine is not None:
        await bot_data.engine.dispose()
        bot_data.engine = None
        bot_data.sessions = None


async def _post_init(app: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    await open_store(app.bot_data)
    await schedule_all(app)
    # The rest waits until the application runs, so that the first getUpdates goes out first.
    if app.job_queue is not None:
        # No misfire grace: the job queue starts only after deleteWebhook (or setWebhook), and
        # APScheduler would drop a job more than its default 1 s late.
        app.job_queue.run_once(
            _after_start,
            when=0,
            name="menus and warm-up",
            job_kwargs={"misfire_grace_time": None},
        )
    else:
        _start_background(app)


async def _after_start(context: BotContext) -> None:
    _start_background(context.application)


def _start_background(app: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    """Start setting the menus and warming up, in the background (once per application)."""
    if _MENUS in app.bot_data.extra:
        return
    settings = app.bot_data.settings
    # The menus and descriptions (three Bot API calls per language, one per editor): a
    # failure is only logged, and the next start sets them again.
    admin_ids = settings.admin_ids if settings else frozenset()
    app.bot_data.extra[_MENUS] = asyncio.create_task(_set_menus(app.bot, admin_ids))
    # dateparser loads its language data on first use (~0.2 s) and the ORM configures its
    # mappers on its first statement: in a thread, so that the loop stays free (a date typed or
    # a query made meanwhile just waits for it).
    languages = settings.date_languages if settings else ("en",)
    app.bot_data.extra[_WARM_UP] = asyncio.create_task(asyncio.to_thread(_warm_up, languages))


async def _set_menus(bot: Any, admin_ids: frozenset[int]) -> None:
    try:
        await set_menus(bot, admin_ids)
    except Exception:
        log.exception("Could not set the command menus")


async def _menus_set(app: BriefingApp) -> None:
    """Wait until the background task has set the menus."""
    task: asyncio.Task[None] | None = app.bot_data.extra.get(_MENUS)
    if task is not None:
        await asyncio.gather(task, return_exceptions=True)


def _warm_up(languages: tuple[str, ...]) -> None:
    # The ORM's first statement would configure every mapper (~50 ms) in a reader's update;
    # start-up itself only runs Core statements (count_facts, schedule_all).
    configure_mappers()
    load_catalogs()  # a catalog without a fresh .mo is compiled here, not in a reader's update
    warm_up(languages)


async def _post_stop(app: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    menus: asyncio.Task[None] | None = app.bot_data.extra.pop(_MENUS, None)
    if menus is not None and not menus.done():
        # Stopped within moments of starting (before the bot's client closes): the next start
        # sets the menus again.
        menus.cancel()
        await asyncio.gather(menus, return_exceptions=True)


async def _post_shutdown(app: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    warming: asyncio.Task[None] | None = app.bot_data.extra.pop(_WARM_UP, None)
    if warming is not None:
        # A thread cannot be cancelled; let it finish rather than leave it behind the loop.
        await asyncio.gather(warming, return_exceptions=True)
    await close_store(app.bot_data)


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    token: str | None = None,
) -> BriefingApp:
    """Build the bot: settings in, fully wired PTB Application out (not yet initialized)."""
    context_types = ContextTypes(context=BotContext, bot_data=BotData)
    processor = PerChatUpdateProcessor()
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(token or settings.token or OFFLINE_TOKEN)
        .context_types(context_types)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        # Chats are served concurrently; each chat's updates stay in order (guided forms).
        .concurrent_updates(processor)
    )
    if settings.rate_limit:
        # Paces every call to a chat to Telegram's limits; 429s are retried after their
        # retry_after. Calls are spaced evenly (a burst of at most 20 ms' worth): letting a
        # second's worth through at once after any pause draws 429s and their 1 s holds (the
        # delivery benchmark measured 73% of the limit that way, 96% evenly spaced).
        builder = builder.rate_limiter(DepartingRateLimiter(settings.briefing_rate, max_retries=3))
    if settings.telegram_api_base:
        builder = builder.base_url(settings.telegram_api_base)
    if settings.telegram_file_base:
        builder = builder.base_file_url(settings.telegram_file_base)
    if request is None and settings.http_client == "aiohttp":
        request = AiohttpRequest(connection_pool_size=64)
        # Long polling keeps its own connection; PTB adds the poll timeout to the read timeout.
        updates_request = updates_request or AiohttpRequest(connection_pool_size=1)
    if request is not None:
        builder = builder.request(request)
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    app: BriefingApp = builder.build()
    app.bot_data.settings = settings
    processor.on_flood = lambda chat_id: app.bot.send_message(chat_id, _(SLOW_DOWN))
    handlers.add_handlers(app)
    return app


@asynccontextmanager
async def running(app: BriefingApp) -> AsyncIterator[BriefingApp]:
    """Initialize and start an app without run_polling (console, tests), then tear it down.

    PTB only calls post_init/post_stop/post_shutdown from run_polling/run_webhook, so do it here.
    """
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        _start_background(app)
        await _menus_set(app)  # the console and tests start with their menus in place
        try:
            yield app
        finally:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
