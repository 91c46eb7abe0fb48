"""The HTTP fake Bot API (tests/fake_server.py) in a process of its own, for the benchmarks.

Run by the benchmarks, not by hand::

    python -m bench.fake_telegram [--latency 0.05] [--rate-limit 30] [--lean]

It prints ``READY <port>`` once it listens on 127.0.0.1 and serves until SIGTERM. Besides the Bot
API (LocalBotApi answering exactly as in the tests) it answers two control calls:

* ``GET /__bench/stats``: every answer by method and HTTP status, successful sendMessage calls
  per chat (summarised: total, distinct chats, lowest and highest chat id, duplicates), the
  first and last successful send (monotonic clock of this process), its CPU seconds and RSS,
  and, unless lean, a cross-check of the tally against ``LocalBotApi.sent()``;
* ``POST /__bench/reset`` with JSON ``{"latency": s, "rate_limit": n|null, "lean": bool}``:
  forget everything recorded and apply those settings.

A process of its own keeps the fake's CPU (HTML parsing, JSON) off the event loop under test.
In lean mode the fake forgets each message once tallied, so 100,000 sends stay small here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fake_telegram import LocalBotApi
from fake_telegram.server import FakeTelegramServer

CONTROL = "/__bench/"
MAX_DUPLICATES_LISTED = 50


class TallyingApi(LocalBotApi):
    """LocalBotApi that counts every answer by method and status, and sends per chat."""

    def __init__(self, *, lean: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lean = lean
        self.statuses: Counter[str] = Counter()
        self.per_chat: Counter[int] = Counter()
        self.first_ok: float | None = None
        self.last_ok: float | None = None

    async def handle(self, method: str, params: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer like LocalBotApi, then tally the answer (and forget it when lean)."""
        status, body = await super().handle(method, params)
        name = method.lower()
        self.statuses[f"{name}:{status}"] += 1
        if name == "sendmessage" and status == 200:
            self.per_chat[int(body["result"]["chat"]["id"])] += 1
            now = time.monotonic()
            if self.first_ok is None:
                self.first_ok = now
            self.last_ok = now
        if self.lean:
            self.calls.clear()
            self._log.clear()
            self._messages.clear()
            self._message_ids.clear()
        return status, body

    def reset(self, *, latency: float, rate_limit: float | None, lean: bool) -> None:
        """Forget everything recorded and apply new settings."""
        self.clear()
        self._messages.clear()
        self._message_ids.clear()
        self._recent.clear()
        self._floods.clear()
        self.latency = latency
        self.rate_limit_per_second = rate_limit
        self.lean = lean
        self.statuses.clear()
        self.per_chat.clear()
        self.first_ok = self.last_ok = None

    def summary(self) -> dict[str, Any]:
        """What was answered, in a form small enough for 100,000 chats."""
        duplicates = {c: n for c, n in self.per_chat.items() if n > 1}
        result: dict[str, Any] = {
            "statuses": dict(self.statuses),
            "sent_ok": sum(self.per_chat.values()),
            "distinct_chats": len(self.per_chat),
            "min_chat": min(self.per_chat) if self.per_chat else None,
            "max_chat": max(self.per_chat) if self.per_chat else None,
            "duplicate_chats": len(duplicates),
            "duplicates": dict(sorted(duplicates.items())[:MAX_DUPLICATES_LISTED]),
            "first_ok": self.first_ok,
            "last_ok": self.last_ok,
            "cpu_seconds": sum(os.times()[:2]),
            "rss_kb": _rss_kb(),
            "lean": self.lean,
        }
        if not self.lean:
            logged = Counter(
                m.chat_id for m in self.sent() if m.method == "sendMessage" and not m.edited
            )
            result["log_matches_tally"] = logged == self.per_chat
            sample = next((m for m in self.sent() if m.method == "sendMessage"), None)
            result["sample_text"] = sample.text if sample else None
        return result


def _rss_kb() -> int:
    """This process's resident set size in KiB (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class BenchFakeServer(FakeTelegramServer):
    """FakeTelegramServer plus the /__bench/ control calls."""

    api: TallyingApi

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if not request.path.startswith(CONTROL):
            return await super()._dispatch(request)
        action = request.path[len(CONTROL) :]
        if action == "stats":
            return web.json_response(self.api.summary())
        if action == "reset" and request.method == "POST":
            body = await request.json()
            self.api.reset(
                latency=float(body.get("latency", 0.0)),
                rate_limit=body.get("rate_limit"),
                lean=bool(body.get("lean", False)),
            )
            return web.json_response({"ok": True})
        return web.json_response({"ok": False}, status=404)


async def serve(latency: float, rate_limit: float | None, lean: bool, port: int) -> None:
    """Serve until SIGTERM or SIGINT; print READY <port> once listening."""
    api = TallyingApi(lean=lean, latency=latency, rate_limit_per_second=rate_limit)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with BenchFakeServer(api, port=port) as server:
        print(f"READY {server.port}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--rate-limit", type=float, default=None, help="429 above N calls/s")
    parser.add_argument("--lean", action="store_true", help="forget messages once tallied")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free one)")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.latency, args.rate_limit, args.lean, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
