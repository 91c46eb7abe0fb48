"""A webhook replica for bench_webhook's experiments: `python -m bot webhook` with another pool.

Run by bench/bench_webhook.py, not by hand::

    python -m bench.webhook_replica --pool-size 32

It serves exactly like ``bot.webhook.serve_webhook`` (same settings from the environment, same
Application from ``build_application``, same aiohttp app from ``make_web_app``), except that the
Bot API connection pool holds ``--pool-size`` connections instead of PTB's default 256, and the
webhook is not registered (the benchmark's fake would only record it).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web
from telegram.request import HTTPXRequest

from bot.app import build_application, running
from bot.webhook import make_web_app
from core.logs import setup_logging
from core.settings import Settings


async def serve(pool_size: int) -> int:
    """Serve the webhook until SIGTERM or SIGINT with a Bot API pool of `pool_size`."""
    settings = Settings()
    setup_logging(settings.log_level, settings.token, settings.log_format)
    app = build_application(settings, request=HTTPXRequest(connection_pool_size=pool_size))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running(app):
        runner = web.AppRunner(make_web_app(app, settings), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.listen, settings.port).start()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool-size", type=int, required=True, help="Bot API connections")
    args = parser.parse_args(argv)
    return asyncio.run(serve(args.pool_size))


if __name__ == "__main__":
    raise SystemExit(main())
