"""`python -m bot webhook`: serve Telegram's webhook and /healthz with aiohttp.

PTB's built-in webhook server has no room for a health check, so this follows PTB's custom
webhook example: our own web server checks the secret header and feeds updates to the same
Application through its update queue.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import text
from telegram import Update

from bot.app import build_application, running
from core.context import BriefingApp
from core.settings import Settings
from web.site import mount_site

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


def webhook_path(settings: Settings) -> str:
    """The path Telegram posts to: the path of WEBHOOK_URL, or /telegram."""
    path = urlsplit(settings.webhook_url or "").path
    return path if path and path != "/" else "/telegram"


def make_web_app(app: BriefingApp, settings: Settings) -> web.Application:
    """The aiohttp app: POST <webhook path> (secret checked), GET /healthz, and the public
    web pages under WEB_PREFIX (unless WEB_PAGES is off)."""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("Refused a webhook call without the right secret from %s", request.remote)
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update object")
            update = Update.de_json(data, app.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return web.json_response({"ok": False, "error": "bad update"}, status=400)
        await app.update_queue.put(update)
        return web.json_response({"ok": True})

    async def healthz(request: web.Request) -> web.Response:
        engine = app.bot_data.engine
        try:
            if engine is None:
                raise RuntimeError("database not open")
            async with engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=3)
        except Exception as exc:
            # The public answer says only "not ok"; the reason goes to the operator's log.
            log.warning("Health check failed: %s: %s", type(exc).__name__, str(exc)[:200])
            return web.json_response({"ok": False}, status=503)
        return web.json_response({"ok": True})

    web_app = web.Application(client_max_size=MAX_BODY)
    web_app.router.add_post(webhook_path(settings), receive)
    web_app.router.add_get("/healthz", healthz)
    if settings.web_pages:
        mount_site(web_app, lambda: app.bot_data.sessions, settings)
    return web_app


async def serve_webhook(settings: Settings, *, register: bool = True) -> int:
    """Run until SIGINT/SIGTERM: register the webhook, serve it, process updates."""
    if not settings.webhook_url or not settings.webhook_secret:
        log.error("WEBHOOK_URL and WEBHOOK_SECRET must both be set for webhook mode")
        return 2
    app = build_application(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running(app):
        runner = web.AppRunner(make_web_app(app, settings), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, settings.listen, settings.port)
        await site.start()
        if register:
            await app.bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=Update.ALL_TYPES,
            )
        log.info(
            "Serving the webhook on %s:%s%s", settings.listen, settings.port, webhook_path(settings)
        )
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
    return 0
