"""The baseline of the end-to-end benchmark: a minimal PTB webhook bot with constant replies.

Run by bench/bench_e2e.py, not by hand::

    python -m bench.minimal_webhook --replies '{"latest": "Latest updates"}'

Settings come from the same environment variables as ``python -m bot webhook`` (BOT_TOKEN,
TELEGRAM_API_BASE, WEBHOOK_SECRET, LISTEN, PORT). It is the smallest bot that does the same
transport work as ours: an aiohttp server that checks the secret header, ``Update.de_json``,
PTB's update queue with concurrent updates, one ``CommandHandler`` per command answering a
constant text with ``reply_text`` (PTB's default HTTPXRequest, or with ``--transport aiohttp``
the bot's own AiohttpRequest), and no database.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import signal
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def make_handler(text: str) -> Any:
    """A command callback that answers `text`."""

    async def answer(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(text)

    return answer


async def serve(replies: dict[str, str], transport: str) -> int:
    """Serve until SIGTERM or SIGINT."""
    builder = Application.builder().token(os.environ["BOT_TOKEN"]).concurrent_updates(True)
    if transport == "aiohttp":
        # The bot's own Bot API transport, to tell the transport's cost from the rest.
        from bot.aiohttp_request import AiohttpRequest

        builder = builder.request(AiohttpRequest())
    if os.environ.get("TELEGRAM_API_BASE"):
        builder = builder.base_url(os.environ["TELEGRAM_API_BASE"])
    app = builder.build()
    for command, text in replies.items():
        app.add_handler(CommandHandler(command, make_handler(text)))
    secret = os.environ["WEBHOOK_SECRET"].encode()

    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret):
            return web.json_response({"ok": False}, status=403)
        await app.update_queue.put(Update.de_json(json.loads(await request.read()), app.bot))
        return web.json_response({"ok": True})

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app = web.Application()
    web_app.router.add_post("/hook", receive)
    web_app.router.add_get("/healthz", healthz)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with app:
        await app.start()
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        listen = os.environ.get("LISTEN", "127.0.0.1")
        await web.TCPSite(runner, listen, int(os.environ["PORT"])).start()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
            await app.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", required=True, help="JSON object: command -> reply text")
    parser.add_argument(
        "--transport", choices=("httpx", "aiohttp"), default="httpx", help="Bot API client"
    )
    args = parser.parse_args(argv)
    return asyncio.run(serve(json.loads(args.replies), args.transport))


if __name__ == "__main__":
    raise SystemExit(main())
