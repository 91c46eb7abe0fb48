"""End to end over HTTP: webhook replies per second and reply time, bot against a minimal PTB bot.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, user postgres, trust auth)::

    python -m bench.bench_e2e                                   # SQLite and PostgreSQL, 100k facts
    python -m bench.bench_e2e --backends sqlite --scale 0.05 --updates 500   # smoke run
    python -m bench.bench_e2e --variant 'small pool:DB_POOL_SIZE=4'          # another bot config

For each backend it fills a fresh store (bench/store_fill.py; a temporary SQLite file, or a
database bench_e2e_<random> that is dropped at the end), then, one after the other, serves it
with each configuration, each a process of its own on its own port:

* ``minimal PTB bot``: bench/minimal_webhook.py, a PTB webhook bot that answers every command
  with a constant text and has no database (the baseline, measured in the same run), with PTB's
  default transport (httpx) and with the bot's (aiohttp);
* ``bot``: ``python -m bot webhook`` as shipped (RATE_LIMIT=false, to measure the bot, not the
  pacing), plus any ``--variant LABEL:NAME=VALUE[,NAME=VALUE]`` (extra environment).

The load generator (this process) posts a fixed number of updates (a mix of /latest, /positions,
/exchanges, /rounds and /search), ``--concurrency`` outstanding in a closed loop, each done when
the in-process fake Bot API (fake_telegram/server.py, answering after ``--latency`` s, 50 ms by
default) receives the reply to its chat. A reply must carry the command's header, or it counts as
bad. Reported: updates/s, p50/p99 reply time, the replica's CPU in cores and updates/s per core
of the replica, and on PostgreSQL the sessions opened per second (pg_stat_database.sessions).
The machine's cores are shared by the generator, the fake, the database and the replica (and by
whatever else runs), so only ratios within one run mean anything. Results go to stdout and
bench/results/e2e-<timestamp>.json; the exit status is 0 even when a figure disappoints.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.bench_webhook import (
    ADMIN_URL,
    HOOK_PATH,
    Replica,
    ReplyWatcher,
    admin,
    cpu_seconds,
    replica_env,
    start_replica,
    stop_replicas,
)
from bench.common import machine
from bench.store_fill import Sizes, fill_store
from bot.webhook import SECRET_HEADER
from fake_telegram.server import FakeTelegramServer
from store.db import create_engine, upgrade_schema

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
CHAT_BASE = 7_000_000
REPLY_TIMEOUT = 30.0

# (command text, header its reply starts with); the minimal bot answers the header alone.
MIX: tuple[tuple[str, str], ...] = (
    ("/latest", "Latest updates"),
    ("/positions", "Current positions"),
    ("/exchanges", "Prisoner exchanges"),
    ("/rounds", "Rounds of talks"),
    ("/search ceasefire", "Results for"),
)


@dataclass
class Window:
    """What one configuration measured."""

    label: str
    updates: int = 0
    seconds: float = 0.0
    bad: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    replica_cores: float = 0.0
    sessions_per_s: float | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures."""
        lat = sorted(self.latencies_ms)

        def pick(q: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(q * len(lat)))], 1) if lat else None

        rate = self.updates / self.seconds if self.seconds else 0.0
        return {
            "config": self.label,
            "updates": self.updates,
            "seconds": round(self.seconds, 2),
            "updates_per_s": round(rate, 1),
            "p50_ms": pick(0.5),
            "p99_ms": pick(0.99),
            "replica_cores": round(self.replica_cores, 2),
            "updates_per_s_per_core": round(rate / self.replica_cores, 1)
            if self.replica_cores
            else None,
            "db_sessions_per_s": None
            if self.sessions_per_s is None
            else round(self.sessions_per_s, 1),
            "bad_replies": self.bad,
            "errors": self.errors,
        }


async def pg_sessions(url: str | None) -> int | None:
    """Sessions ever opened to the benchmark's database (PostgreSQL only)."""
    if url is None:
        return None
    name = make_url(url).database
    engine = create_engine(ADMIN_URL)
    try:
        async with engine.connect() as conn:
            row = await conn.execute(
                text("SELECT sessions FROM pg_stat_database WHERE datname = :n"), {"n": name}
            )
            return int(row.scalar_one())
    finally:
        await engine.dispose()


async def drive(
    api: ReplyWatcher,
    replica: Replica,
    *,
    secret: str,
    concurrency: int,
    warmup: int,
    updates: int,
    label: str,
    pg_url: str | None,
) -> Window:
    """Post `warmup` then `updates` updates, `concurrency` outstanding; time the latter."""
    window = Window(label=label)
    loop = asyncio.get_running_loop()
    headers = {SECRET_HEADER: secret}
    counter = iter(range(warmup + updates))
    timed_started = asyncio.Event()
    marks: dict[str, float] = {}

    async def worker(w: int, http: aiohttp.ClientSession) -> None:
        k = 0
        for n in counter:
            if n == warmup:
                marks["start"] = loop.time()
                marks["cpu"] = cpu_seconds(replica.proc.pid)
                timed_started.set()
            command, header = MIX[n % len(MIX)]
            chat_id = CHAT_BASE + w + concurrency * (k % 50)
            k += 1
            update = api.make_message(command, chat_id=chat_id, user_id=chat_id)
            future: asyncio.Future[str] = loop.create_future()
            api.waiting[chat_id] = future
            sent_at = loop.time()
            try:
                async with http.post(replica.url, json=update, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}")
                reply = await asyncio.wait_for(future, REPLY_TIMEOUT)
            except (aiohttp.ClientError, RuntimeError, TimeoutError):
                api.waiting.pop(chat_id, None)
                window.errors += n >= warmup
                continue
            if n >= warmup:
                window.updates += 1
                window.latencies_ms.append(1000 * (loop.time() - sent_at))
                window.bad += header not in reply

    before_sessions = None
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        tasks = [asyncio.create_task(worker(w, http)) for w in range(concurrency)]
        await timed_started.wait()
        before_sessions = await pg_sessions(pg_url)
        await asyncio.gather(*tasks)
    window.seconds = loop.time() - marks["start"]
    window.replica_cores = (cpu_seconds(replica.proc.pid) - marks["cpu"]) / window.seconds
    after_sessions = await pg_sessions(pg_url)
    if before_sessions is not None and after_sessions is not None:
        # Minus the two sessions pg_sessions itself opened.
        window.sessions_per_s = max(0, after_sessions - before_sessions - 1) / window.seconds
    return window


async def prepare(backend: str, tmp: Path, scale: float) -> tuple[str, str | None, float]:
    """A migrated, filled store: (DATABASE_URL, PostgreSQL URL or None, fill seconds)."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        pg_url = None
    else:
        name = f"bench_e2e_{secrets.token_hex(6)}"
        await admin(f'CREATE DATABASE "{name}"')
        url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        pg_url = url
    engine = create_engine(url)
    started = time.perf_counter()
    try:
        await upgrade_schema(engine)
        await fill_store(engine, Sizes.at_scale(scale))
        if pg_url is not None:
            async with engine.connect() as conn:
                await conn.execute(text("COMMIT"))
                await conn.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    return url, pg_url, time.perf_counter() - started


def parse_variant(spec: str) -> tuple[str, dict[str, str]]:
    """'LABEL:NAME=VALUE,NAME=VALUE' -> (LABEL, {NAME: VALUE})."""
    label, _, rest = spec.partition(":")
    env = dict(pair.split("=", 1) for pair in rest.split(",") if pair.strip())
    return label, env


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Every configuration on every backend; the results as one dict."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    secret = secrets.token_urlsafe(24)
    result: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "environment": machine(("python-telegram-bot", "SQLAlchemy", "asyncpg", "aiosqlite")),
        "args": vars(args),
        "windows": [],
    }
    minimal_replies = json.dumps({c.split()[0][1:]: h for c, h in MIX})
    configs: list[tuple[str, tuple[str, ...], dict[str, str]]] = [
        ("minimal PTB bot", ("-m", "bench.minimal_webhook", "--replies", minimal_replies), {}),
        (
            "minimal PTB bot, aiohttp transport",
            ("-m", "bench.minimal_webhook", "--replies", minimal_replies, "--transport", "aiohttp"),
            {},
        ),
        ("bot (as shipped)", ("-m", "bot", "webhook"), {}),
    ]
    configs += [(label, ("-m", "bot", "webhook"), env) for label, env in args.variant]
    api = ReplyWatcher(latency=args.latency)
    for backend in args.backends:
        with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp_name:
            tmp = Path(tmp_name)
            url, pg_url, fill_s = await prepare(backend, tmp, args.scale)
            print(f"\n== {backend}: store filled in {fill_s:.0f} s (scale {args.scale})")
            try:
                async with FakeTelegramServer(api) as server:
                    env = replica_env(url, server.base_url, secret, rate_limit=False)
                    env["WEBHOOK_URL"] = f"https://bot.example.org{HOOK_PATH}"
                    for _round in range(args.rounds):
                        for label, command, extra in configs:
                            replica = await start_replica({**env, **extra}, tmp, command)
                            try:
                                window = await drive(
                                    api,
                                    replica,
                                    secret=secret,
                                    concurrency=args.concurrency,
                                    warmup=args.warmup,
                                    updates=args.updates,
                                    label=f"{backend}: {label}",
                                    pg_url=pg_url,
                                )
                            finally:
                                await stop_replicas([replica])
                            row = window.summary()
                            result["windows"].append(row)
                            print_row(row)
            finally:
                if pg_url is not None:
                    name = make_url(pg_url).database
                    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"e2e-{stamp}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print_ratios(result["windows"])
    print(f"Results: {out.relative_to(ROOT)}")
    return result


def print_row(row: dict[str, Any]) -> None:
    """One configuration's line."""
    sessions = row["db_sessions_per_s"]
    print(
        f"  {row['config']}: {row['updates_per_s']:,.0f} updates/s, p50 {row['p50_ms']} ms, "
        f"p99 {row['p99_ms']} ms, replica {row['replica_cores']} cores "
        f"({row['updates_per_s_per_core']} updates/s per core)"
        + ("" if sessions is None else f", {sessions} DB sessions/s")
        + f", {row['errors']} errors, {row['bad_replies']} bad replies"
    )


def print_ratios(windows: Sequence[dict[str, Any]]) -> None:
    """Each configuration's throughput against the minimal bot's on the same backend."""
    print("\n== throughput / minimal PTB bot's (same backend, same run)")
    for row in windows:
        backend = row["config"].split(":")[0]
        base = [w for w in windows if w["config"] == f"{backend}: minimal PTB bot"]
        if not base or row["config"].split(": ", 1)[1] == "minimal PTB bot":
            continue
        mean = sum(w["updates_per_s"] for w in base) / len(base)
        if mean:
            print(f"  {row['config']}: {row['updates_per_s'] / mean:.2f}x")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_e2e", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--backends",
        type=lambda s: [b for b in s.split(",") if b],
        default=["sqlite", "postgresql"],
        help="comma-separated: sqlite, postgresql",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="store size (1 = 100k updates)")
    parser.add_argument("--updates", type=int, default=3000, help="timed updates per config")
    parser.add_argument("--warmup", type=int, default=300, help="untimed updates first")
    parser.add_argument("--concurrency", type=int, default=32, help="updates outstanding")
    parser.add_argument("--latency", type=float, default=0.05, help="fake Bot API delay (s)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every config N times")
    parser.add_argument(
        "--variant",
        type=parse_variant,
        action="append",
        default=[],
        help="another bot config, 'LABEL:NAME=VALUE,...' (extra environment); repeatable",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; always 0 unless it could not run at all."""
    asyncio.run(benchmark(parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
