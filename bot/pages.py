"""`python -m bot web`: serve the public web pages alone (for setups that poll Telegram)."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.app import close_store, open_store
from bot.startup import EXIT_SETTINGS, StartupFailure
from core.context import BotData
from core.settings import Settings
from web.site import mount_site

log = logging.getLogger(__name__)


async def serve_pages(settings: Settings, *, ready: asyncio.Event | None = None) -> int:
    """Open the store, serve the pages on LISTEN:PORT under WEB_PREFIX until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    data = BotData(settings=settings)
    await open_store(data)
    try:
        root = web.Application()
        mount_site(root, lambda: data.sessions, settings)
        runner = web.AppRunner(root, access_log=None)
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, settings.listen, settings.port).start()
            except OSError as exc:
                raise StartupFailure(
                    EXIT_SETTINGS,
                    f"Cannot listen on {settings.listen}:{settings.port}: "
                    f"{exc.strerror or exc} (set LISTEN and PORT).",
                ) from exc
            log.info(
                "Serving the web pages on %s:%s%s/",
                settings.listen,
                settings.port,
                settings.web_prefix,
            )
            if ready is not None:
                ready.set()
            await stop.wait()
        finally:
            await runner.cleanup()
    finally:
        await close_store(data)
    return 0
