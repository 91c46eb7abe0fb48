"""The morning briefing at scale: bot-side ceiling, pacing under a 30/s limit, and peak memory.

Run from the repository root::

    python -m bench.bench_delivery                  # full size: 10k, 1.5k and 100k subscribers
    python -m bench.bench_delivery --scale 0.02     # quick smoke run
    python -m bench.bench_delivery --phases memory --memory-subscribers 20000

Three phases, each on a fresh SQLite store (subscribers written with Core inserts in 5k-row
chunks, plus a few news updates so every briefing has content) and the real delivery path:
``send_due_briefings`` with the Application from ``build_application``, TELEGRAM_API_BASE
pointing at the HTTP fake (bench/fake_telegram.py, a process of its own on 127.0.0.1).

1. ceiling: a run to 10,000 subscribers, rate limiting off, against a fake that never limits,
   in messages/s; in the same run plain httpx posts the same sendMessage to the same fake at the
   same concurrency (before and after the bot). Goal: the bot reaches at least half of httpx.
2. limited: the fake answers 429 above 30 calls/s; 1,500 subscribers, the bot's rate limiter
   (services/pacing.py) at BRIEFING_RATE. Goal: at least 95% of 30/s over the run, every
   subscriber exactly once.
3. memory: ``python -m bot send-briefings`` in a child process to 100,000 subscribers (instant
   fake, rate limiting off); its peak RSS from wait4's ru_maxrss. Goal: under 150 MB.
4. throughput: a run to 20,000 subscribers against a fake answering after 50 ms, with the rate
   limiter on at BRIEFING_RATE=1000 and the ledger's guarantees intact, on SQLite and (with
   BENCH_POSTGRES_URL set) PostgreSQL. In the same run a raw aiohttp client posts the same
   sendMessage to the same fake at the same concurrency, unpaced and paced at the same rate.
   Goals: at least 1,000 messages/s, and at least 80% of the raw client's rate. Reported with
   CPU per 1,000 messages and the RSS before and after the run (memory must stay flat).

Results go to stdout and bench/results/delivery-<timestamp>.json. The exit status is 0 even when
a goal is missed: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import httpx
from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel
from telegram.ext import AIORateLimiter

import handlers  # noqa: F401  (before services.delivery, which it imports: no import cycle)
import kinds.registry  # noqa: F401  (registers every table)
from bench.common import machine
from bot.app import build_application, close_store, open_store
from core.context import BriefingApp
from core.settings import Settings
from fake_telegram import FAKE_TOKEN
from kinds.digest import changes_between
from render.briefing import briefing_messages
from services import delivery
from services.briefing_texts import FIRST_BRIEFING_WINDOW
from store.db import create_engine, make_session_factory, upgrade_schema
from store.models import utcnow

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
ZONE = "Europe/Kyiv"
CHUNK_ROWS = 5000
BOT_CHATS = 10_000_000  # chat ids of the subscribers
HTTPX_CHATS = 50_000_000  # chat ids the plain httpx baseline posts to
TELEGRAM_LIMIT = 30.0
GOAL_CEILING_SHARE = 0.5
GOAL_LIMITED_SHARE = 0.95
GOAL_PEAK_MB = 150.0
FACTS = [
    (
        "Delegations agree on a second round in Istanbul",
        "Both sides confirmed the venue and a date; mediators will circulate an agenda.",
    ),
    (
        "Prisoner exchange of 390 for 390 completed",
        "The first stage of the agreed 1,000-for-1,000 exchange took place at the border.",
    ),
    (
        "Memoranda on ceasefire conditions exchanged",
        "Each side handed over its draft; neither text has been published in full.",
    ),
    (
        "Mediators propose a technical working group",
        "The group would meet weekly on humanitarian questions between the rounds.",
    ),
    (
        "Talks adjourned after two hours",
        "The next meeting is expected within a month, according to the mediator's office.",
    ),
]


# ------------------------------------------------------------------------------- the fake


class FakeProcess:
    """bench/fake_telegram.py running in a child process, with its control calls."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.port = 0
        self.http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        """The fake's root URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The value for TELEGRAM_API_BASE (the token is appended)."""
        return f"{self.url}/bot"

    @property
    def pid(self) -> int:
        """The fake's process id."""
        assert self.proc is not None
        return self.proc.pid

    async def __aenter__(self) -> FakeProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.fake_telegram",
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        line = (await asyncio.wait_for(self.proc.stdout.readline(), timeout=30)).decode()
        if not line.startswith("READY "):
            raise RuntimeError(f"the fake did not start: {line!r}")
        self.port = int(line.split()[1])
        self.http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.http is not None:
            await self.http.close()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()

    async def reset(
        self, *, latency: float = 0.0, rate_limit: float | None = None, lean: bool = False
    ) -> None:
        """Forget what the fake recorded and set its latency, rate limit and leanness."""
        assert self.http is not None
        body = {"latency": latency, "rate_limit": rate_limit, "lean": lean}
        async with self.http.post(f"{self.url}/__bench/reset", json=body) as response:
            response.raise_for_status()

    async def stats(self) -> dict[str, Any]:
        """The fake's tally (see bench/fake_telegram.py)."""
        assert self.http is not None
        async with self.http.get(f"{self.url}/__bench/stats") as response:
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0, 0.0
    values = [int(v) for v in first]
    return float(sum(values[:8]) - values[3] - values[4]), float(sum(values[:8]))


def busy_cores(before: tuple[float, float]) -> float:
    """How many cores the whole machine kept busy since `before` (all processes, ours too)."""
    busy, total = machine_busy()
    if total <= before[1]:
        return 0.0
    return round((busy - before[0]) / (total - before[1]) * (os.cpu_count() or 1), 2)


def exactly_once(stats: dict[str, Any], n: int, first_chat: int) -> dict[str, Any]:
    """Did chats first_chat .. first_chat+n-1 each get exactly one message (and no one else)?"""
    ok = (
        stats["sent_ok"] == n
        and stats["distinct_chats"] == n
        and stats["duplicate_chats"] == 0
        and (n == 0 or (stats["min_chat"], stats["max_chat"]) == (first_chat, first_chat + n - 1))
        and stats.get("log_matches_tally", True)
    )
    return {
        "ok": ok,
        "delivered": stats["distinct_chats"],
        "lost": n - stats["distinct_chats"],
        "twice_or_more": stats["duplicate_chats"],
        "checked_against_sent_log": "log_matches_tally" in stats,
    }


# ------------------------------------------------------------------------------- the store


def table_of(name: str) -> Any:
    """The Core table of a model."""
    return SQLModel.metadata.tables[name]


async def fill_store(database_url: str, subscribers: int, *, now: dt.datetime) -> float:
    """A migrated store with a few fresh facts and `subscribers` chats due now; seconds taken."""
    started = time.perf_counter()
    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        created = now - dt.timedelta(hours=1)
        async with engine.begin() as conn:
            await conn.execute(
                insert(table_of("news_update")),
                [
                    {
                        "date": now.date(),
                        "headline": headline,
                        "summary": summary,
                        "tags": "talks",
                        "created_at": created + dt.timedelta(minutes=i),
                        "updated_at": created + dt.timedelta(minutes=i),
                    }
                    for i, (headline, summary) in enumerate(FACTS)
                ],
            )
        due = (now.astimezone(ZoneInfo(ZONE)) - dt.timedelta(minutes=5)).time()
        due = due.replace(second=0, microsecond=0)
        for start in range(0, subscribers, CHUNK_ROWS):
            rows = [
                {
                    "chat_id": BOT_CHATS + i,
                    "chat_type": "private",
                    "language_code": "en",
                    "first_seen": now,
                    "last_seen": now,
                    "subscribed": True,
                    "briefing_time": due,
                    "timezone": ZONE,
                    "quiet": False,
                    "active": True,
                    "failures": 0,
                    "last_briefing_at": None,
                }
                for i in range(start, min(start + CHUNK_ROWS, subscribers))
            ]
            async with engine.begin() as conn:
                await conn.execute(insert(table_of("subscriber")), rows)
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def briefing_text(database_url: str, *, now: dt.datetime) -> str:
    """The first message of the briefing a new subscriber gets now (for the httpx baseline)."""
    engine = create_engine(database_url)
    try:
        sessions = make_session_factory(engine)
        async with sessions() as session:
            digest = await changes_between(session, since=now - FIRST_BRIEFING_WINDOW, until=now)
    finally:
        await engine.dispose()
    zone = ZoneInfo(ZONE)
    return briefing_messages(digest, tz=zone, today=now.astimezone(zone).date())[0]


# ------------------------------------------------------------------------------- the bot


def bench_settings(database_url: str, fake: FakeProcess, **overrides: Any) -> Settings:
    """Settings for a benchmark run: no .env, the fake's URL and token, Kyiv time, no seed."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "bot_token": FAKE_TOKEN,
        "telegram_api_base": fake.base_url,
        "timezone": ZONE,
        "log_level": "WARNING",
        "seed_on_empty": False,
        "rate_limit": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def started_bot(settings: Settings) -> AsyncIterator[BriefingApp]:
    """The Application as `python -m bot send-briefings` runs it: initialized, store open."""
    app = build_application(settings)
    await app.initialize()
    try:
        await open_store(app.bot_data)
        yield app
    finally:
        await close_store(app.bot_data)
        await app.shutdown()


@dataclass
class StatementCounter:
    """Counts SQL statements and commits on an engine."""

    statements: int = 0
    commits: int = 0

    def attach(self, engine: AsyncEngine) -> None:
        """Start counting on `engine`."""
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "commit", self._commit)

    def _statement(self, *args: Any) -> None:
        self.statements += 1

    def _commit(self, *args: Any) -> None:
        self.commits += 1


@dataclass
class RunResult:
    """One briefing run measured from the bot's side."""

    seconds: float
    cpu_seconds: float
    sent: int
    failed: int
    skipped: int
    statements: int
    commits: int
    profile_top: list[str] = field(default_factory=list)

    def rate(self) -> float:
        """Messages per second over the whole run."""
        return self.sent / self.seconds if self.seconds else 0.0


async def run_briefings(
    app: BriefingApp, settings: Settings, *, now: dt.datetime, profile: Path | None = None
) -> RunResult:
    """One send_due_briefings run, timed, with CPU and SQL counts (and a profile if asked)."""
    sessions = app.bot_data.sessions
    engine = app.bot_data.engine
    assert sessions is not None and engine is not None
    counter = StatementCounter()
    counter.attach(engine)
    # CPU time, not wall time: waits for answers are not what a profile should rank.
    profiler = cProfile.Profile(time.process_time) if profile else None
    cpu = time.process_time()
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    stats = await delivery.send_due_briefings(app.bot, sessions, settings, now=now)
    if profiler is not None:
        profiler.disable()
    seconds = time.perf_counter() - started
    result = RunResult(
        seconds=seconds,
        cpu_seconds=time.process_time() - cpu,
        sent=stats.sent,
        failed=stats.failed,
        skipped=stats.skipped,
        statements=counter.statements,
        commits=counter.commits,
    )
    if profiler is not None and profile is not None:
        profiler.dump_stats(profile)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        result.profile_top = [line for line in out.getvalue().splitlines() if line.strip()][-27:]
    return result


# ------------------------------------------------------------------------------- httpx


async def httpx_rate(
    fake: FakeProcess, *, n: int, concurrency: int, text: str, latency: float, pool: int = 256
) -> dict[str, Any]:
    """Plain httpx posting the same sendMessage form PTB posts, `concurrency` at a time."""
    url = f"{fake.base_url}{FAKE_TOKEN}/sendMessage"
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
    chats = iter(range(HTTPX_CHATS, HTTPX_CHATS + n))
    errors = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        for chat_id in chats:
            response = await client.post(
                url,
                data={
                    "chat_id": str(chat_id),
                    "text": text,
                    "parse_mode": "HTML",
                    "disable_notification": "false",
                    "link_preview_options": '{"is_disabled": true}',
                },
            )
            if response.status_code != 200:
                errors += 1

    await fake.reset(latency=latency)
    fake_cpu = (await fake.stats())["cpu_seconds"]
    cpu = time.process_time()
    machine = machine_busy()
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    stats = await fake.stats()
    return {
        "messages": n,
        "errors": errors,
        "seconds": round(seconds, 3),
        "rate": round(n / seconds, 1),
        "client_cpu_share": round(cpu / seconds, 2),
        "client_cpu_ms_per_message": round(1000 * cpu / n, 3),
        "fake_cpu_share": round((stats["cpu_seconds"] - fake_cpu) / seconds, 2),
        "machine_busy_cores": busy_cores(machine),
        "exactly_once": exactly_once(stats, n, HTTPX_CHATS)["ok"],
    }


# ------------------------------------------------------------------------------- phases


async def phase_ceiling(
    fake: FakeProcess, workdir: Path, *, n: int, latency: float, profile: Path | None
) -> dict[str, Any]:
    """(1) The bot's rate to n subscribers with no limit, next to plain httpx's in the same run."""
    now = utcnow()
    url = f"sqlite+aiosqlite:///{workdir}/ceiling-{latency}.db"
    fill = await fill_store(url, n, now=now)
    text = await briefing_text(url, now=now)
    print(f"  store: {n:,} subscribers in {fill:.1f} s; briefing of {len(text)} characters")
    before = await httpx_rate(
        fake, n=n, concurrency=delivery.concurrency(29.0), text=text, latency=latency
    )
    print(f"  httpx before: {before['rate']:,.0f} msg/s")

    await fake.reset(latency=latency)
    fake_cpu = (await fake.stats())["cpu_seconds"]
    settings = bench_settings(url, fake, rate_limit=False)
    machine = machine_busy()
    async with started_bot(settings) as app:
        run = await run_briefings(app, settings, now=now, profile=profile)
    machine_cores = busy_cores(machine)
    stats = await fake.stats()
    once = exactly_once(stats, n, BOT_CHATS)
    print(
        f"  bot: {run.sent:,} sent in {run.seconds:.1f} s = {run.rate():,.0f} msg/s, "
        f"{run.cpu_seconds / run.seconds:.0%} of a core; exactly once: {once['ok']}"
    )
    after = await httpx_rate(
        fake, n=n, concurrency=delivery.concurrency(29.0), text=text, latency=latency
    )
    print(f"  httpx after: {after['rate']:,.0f} msg/s")
    ceiling = max(before["rate"], after["rate"])
    share = run.rate() / ceiling if ceiling else 0.0
    return {
        "subscribers": n,
        "fake_latency_s": latency,
        "concurrency": delivery.concurrency(29.0),
        "fill_seconds": round(fill, 2),
        "briefing_chars": len(text),
        "bot": {
            "sent": run.sent,
            "failed": run.failed,
            "seconds": round(run.seconds, 2),
            "rate": round(run.rate(), 1),
            "cpu_share": round(run.cpu_seconds / run.seconds, 2),
            "fake_cpu_share": round((stats["cpu_seconds"] - fake_cpu) / run.seconds, 2),
            "machine_busy_cores": machine_cores,
            "cpu_ms_per_message": round(1000 * run.cpu_seconds / max(run.sent, 1), 3),
            "sql_statements_per_message": round(run.statements / max(run.sent, 1), 2),
            "commits_per_message": round(run.commits / max(run.sent, 1), 2),
            "exactly_once": once,
            "profile_top": run.profile_top,
        },
        "httpx_before": before,
        "httpx_after": after,
        "httpx_ceiling": ceiling,
        "share_of_ceiling": round(share, 3),
        "goal": f"bot >= {GOAL_CEILING_SHARE:.0%} of plain httpx",
        "goal_met": share >= GOAL_CEILING_SHARE and once["ok"],
    }


GOAL_THROUGHPUT = 1000.0
GOAL_RAW_SHARE = 0.8


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    return proc_status(os.getpid())["VmRSS"] / 1024


async def aiohttp_rate(
    fake: FakeProcess, *, n: int, concurrency: int, text: str, rate: float | None, latency: float
) -> dict[str, Any]:
    """A raw aiohttp client posting the bot's sendMessage JSON, `concurrency` at a time (paced)."""
    url = f"{fake.base_url}{FAKE_TOKEN}/sendMessage"
    chats = iter(range(HTTPX_CHATS, HTTPX_CHATS + n))
    errors = 0
    gap = 1 / rate if rate else 0.0
    next_at = time.perf_counter()

    async def worker(client: aiohttp.ClientSession) -> None:
        nonlocal errors, next_at
        for chat_id in chats:
            if gap:
                now = time.perf_counter()
                slot, next_at = max(now, next_at), max(now, next_at) + gap
                if slot > now:
                    await asyncio.sleep(slot - now)
            message = {
                "chat_id": chat_id,
                "text": text,
                "parse_mode": "HTML",
                "disable_notification": False,
                "link_preview_options": {"is_disabled": True},
            }
            async with client.post(url, json=message) as response:
                await response.read()
                errors += response.status != 200

    await fake.reset(latency=latency, lean=True)
    cpu = time.process_time()
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return {
        "messages": n,
        "errors": errors,
        "paced_at": rate,
        "seconds": round(seconds, 3),
        "rate": round(n / seconds, 1),
        "cpu_ms_per_1000": round(1_000_000 * cpu / n, 1),
    }


async def phase_throughput(
    fake: FakeProcess,
    workdir: Path,
    *,
    n: int,
    rate: float,
    latency: float,
    database: str,
    profile: Path | None = None,
) -> dict[str, Any]:
    """(4) A rate-limited run at `rate` to n subscribers at `latency`, next to raw aiohttp."""
    now = utcnow()
    url = database or f"sqlite+aiosqlite:///{workdir}/throughput.db"
    fill = await fill_store(url, n, now=now)
    text = await briefing_text(url, now=now)
    width = delivery.concurrency(rate)
    print(f"  store: {n:,} subscribers in {fill:.1f} s; {width} sends in flight")
    raw = await aiohttp_rate(fake, n=n, concurrency=width, text=text, rate=None, latency=latency)
    paced = await aiohttp_rate(fake, n=n, concurrency=width, text=text, rate=rate, latency=latency)
    print(
        f"  raw aiohttp: {raw['rate']:,.0f} msg/s unpaced, {paced['rate']:,.0f} paced; "
        f"{raw['cpu_ms_per_1000']:,.0f} / {paced['cpu_ms_per_1000']:,.0f} ms CPU per 1,000"
    )
    await fake.reset(latency=latency, lean=True)
    settings = bench_settings(url, fake, rate_limit=True, briefing_rate=rate)
    machine = machine_busy()
    async with started_bot(settings) as app:
        before = rss_mb()
        run = await run_briefings(app, settings, now=now, profile=profile)
        after = rss_mb()
    stats = await fake.stats()
    once = exactly_once(stats, n, BOT_CHATS)
    share = run.rate() / paced["rate"] if paced["rate"] else 0.0
    # The rate while sending, first answer to last (the run also claims, composes and ends).
    span = (stats["last_ok"] or 0) - (stats["first_ok"] or 0)
    sending_rate = (stats["sent_ok"] - 1) / span if span > 0 else 0.0
    print(
        f"  bot: {run.sent:,} sent in {run.seconds:.1f} s = {run.rate():,.0f} msg/s "
        f"({share:.0%} of paced raw; {sending_rate:,.0f} msg/s first to last answer), "
        f"{1e6 * run.cpu_seconds / max(run.sent, 1):.0f} ms CPU "
        f"per 1,000; RSS {before:.0f} -> {after:.0f} MB; exactly once: {once['ok']}"
    )
    return {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "subscribers": n,
        "fake_latency_s": latency,
        "briefing_rate": rate,
        "concurrency": width,
        "bot": {
            "sent": run.sent,
            "failed": run.failed,
            "seconds": round(run.seconds, 2),
            "rate": round(run.rate(), 1),
            "sending_rate": round(sending_rate, 1),
            "cpu_ms_per_1000": round(1_000_000 * run.cpu_seconds / max(run.sent, 1), 1),
            "commits_per_message": round(run.commits / max(run.sent, 1), 3),
            "rss_mb_before": round(before, 1),
            "rss_mb_after": round(after, 1),
            "machine_busy_cores": busy_cores(machine),
            "exactly_once": once,
        },
        "raw_aiohttp_unpaced": raw,
        "raw_aiohttp_paced": paced,
        "share_of_paced_raw": round(share, 3),
        "goal": f">= {GOAL_THROUGHPUT:,.0f} msg/s and >= {GOAL_RAW_SHARE:.0%} of raw aiohttp",
        "goal_met": run.rate() >= GOAL_THROUGHPUT and share >= GOAL_RAW_SHARE and once["ok"],
    }


async def postgres_database(base: str) -> tuple[str, Any]:
    """A fresh PostgreSQL database next to `base`; its URL and a coroutine dropping it."""
    from sqlalchemy import text as sql
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"bench_delivery_{os.getpid()}"

    async def admin(statement: str) -> None:
        engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(sql(statement))
        finally:
            await engine.dispose()

    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    return url, admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def smooth_limiter(rate: float, burst: int = 1) -> AIORateLimiter:
    """AIORateLimiter whose overall bucket holds `burst` tokens, not `rate`: no big bursts."""
    return AIORateLimiter(overall_max_rate=burst, overall_time_period=burst / rate, max_retries=3)


async def phase_limited(
    fake: FakeProcess,
    workdir: Path,
    *,
    n: int,
    rate: float,
    latency: float,
    smooth: bool,
    burst: int = 1,
) -> dict[str, Any]:
    """(2) n subscribers against a fake that answers 429 above 30/s; the limiter at `rate`."""
    now = utcnow()
    label = f"smooth-{rate}-burst-{burst}" if smooth else f"stock-{rate}"
    url = f"sqlite+aiosqlite:///{workdir}/limited-{label}.db"
    await fill_store(url, n, now=now)
    await fake.reset(latency=latency, rate_limit=TELEGRAM_LIMIT)
    settings = bench_settings(url, fake, rate_limit=True, briefing_rate=rate)
    machine = machine_busy()
    app = build_application(settings)
    if smooth:
        # An experiment, not the shipped configuration: see docs/benchmarks-delivery.md.
        app.bot._rate_limiter = smooth_limiter(rate, burst)
    await app.initialize()
    try:
        await open_store(app.bot_data)
        run = await run_briefings(app, settings, now=now)
    finally:
        await close_store(app.bot_data)
        await app.shutdown()
    machine_cores = busy_cores(machine)
    stats = await fake.stats()
    once = exactly_once(stats, n, BOT_CHATS)
    throttled = int(stats["statuses"].get("sendmessage:429", 0))
    span = (stats["last_ok"] or 0) - (stats["first_ok"] or 0)
    fake_rate = (stats["sent_ok"] - 1) / span if span > 0 else 0.0
    share = run.rate() / TELEGRAM_LIMIT
    print(
        f"  {label}: {run.sent:,} sent in {run.seconds:.1f} s = {run.rate():.2f} msg/s "
        f"({share:.1%} of {TELEGRAM_LIMIT:.0f}/s), {throttled} answered 429, "
        f"failed {run.failed}, exactly once: {once['ok']}"
    )
    return {
        "subscribers": n,
        "limiter": f"AIORateLimiter(overall_max_rate={burst}, overall_time_period={burst}/rate)"
        " [experiment]"
        if smooth
        else "DepartingRateLimiter(BRIEFING_RATE, max_retries=3) [as shipped]",
        "briefing_rate": rate,
        "fake_limit_per_s": TELEGRAM_LIMIT,
        "fake_latency_s": latency,
        "seconds": round(run.seconds, 2),
        "rate": round(run.rate(), 2),
        "share_of_limit": round(share, 4),
        "rate_first_to_last_send_at_fake": round(fake_rate, 2),
        "answered_429": throttled,
        "machine_busy_cores": machine_cores,
        "sent": run.sent,
        "failed": run.failed,
        "exactly_once": once,
        "goal": f">= {GOAL_LIMITED_SHARE:.0%} of {TELEGRAM_LIMIT:.0f}/s, none lost, none twice",
        "goal_met": share >= GOAL_LIMITED_SHARE and once["ok"] and run.failed == 0,
    }


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a `python -m bot` child: none of the bot's settings inherited."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    for name in ("TELEGRAM_API_BASE", "BRIEFING_TIME", "TIMEZONE", "DELIVERY_LEASE", "RATE_LIMIT"):
        keep.pop(name, None)
    keep.update({"PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **extra})
    return keep


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process in KiB (empty once it is gone)."""
    values: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


async def phase_memory(fake: FakeProcess, workdir: Path, *, n: int) -> dict[str, Any]:
    """(3) Peak RSS of `python -m bot send-briefings` delivering to n subscribers."""
    url = f"sqlite+aiosqlite:///{workdir}/memory.db"
    fill = await fill_store(url, n, now=utcnow())
    print(f"  store: {n:,} subscribers in {fill:.1f} s")
    await fake.reset(lean=True)
    env = child_env(
        BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=fake.base_url,
        DATABASE_URL=url,
        SEED_ON_EMPTY="false",
        RATE_LIMIT="false",
    )
    started = time.perf_counter()
    machine = machine_busy()
    # Popen, not asyncio's subprocess: os.wait4 must reap it to give its own ru_maxrss.
    proc = await asyncio.to_thread(
        subprocess.Popen,
        [sys.executable, "-m", "bot", "send-briefings"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    stdout_task = asyncio.create_task(asyncio.to_thread(proc.stdout.read))
    stderr_task = asyncio.create_task(asyncio.to_thread(proc.stderr.read))
    waited = asyncio.create_task(asyncio.to_thread(os.wait4, proc.pid, 0))
    samples: list[tuple[float, int, int, int]] = []
    while not waited.done():
        status = proc_status(proc.pid)
        if status:
            sent = (await fake.stats())["sent_ok"]
            at = round(time.perf_counter() - started, 1)
            samples.append((at, sent, status["VmRSS"], status["VmHWM"]))
        await asyncio.wait({waited}, timeout=1.0)
    _, wait_status, usage = waited.result()
    proc.returncode = os.waitstatus_to_exitcode(wait_status)
    seconds = time.perf_counter() - started
    machine_cores = busy_cores(machine)
    out, err = (await stdout_task).decode(), (await stderr_task).decode()
    stats = await fake.stats()
    once = exactly_once(stats, n, BOT_CHATS)
    peak_kib = usage.ru_maxrss  # KiB on Linux
    peak_mb = peak_kib * 1024 / 1e6
    # RSS growth per 10k messages over the second half of the sends: flat means no leak.
    half = [s for s in samples if stats["sent_ok"] / 2 <= s[1] < stats["sent_ok"]]
    growth = None
    if len(half) >= 2 and half[-1][1] > half[0][1]:
        growth = (half[-1][2] - half[0][2]) / 1024 / ((half[-1][1] - half[0][1]) / 10_000)
    print(
        f"  child: exit {proc.returncode}, {stats['sent_ok']:,} sent in {seconds:.0f} s "
        f"({stats['sent_ok'] / seconds:,.0f} msg/s), peak RSS {peak_mb:.1f} MB "
        f"({peak_kib / 1024:.1f} MiB); exactly once: {once['ok']}"
    )
    if proc.returncode != 0:
        print(err[-2000:])
    step = max(1, len(samples) // 40)
    return {
        "subscribers": n,
        "fill_seconds": round(fill, 2),
        "command": "python -m bot send-briefings (RATE_LIMIT=false, fake latency 0)",
        "exit_code": proc.returncode,
        "stdout": out.strip(),
        "stderr_tail": err.strip()[-1000:],
        "seconds": round(seconds, 1),
        "rate": round(stats["sent_ok"] / seconds, 1),
        "peak_rss_kib": peak_kib,
        "peak_rss_mb": round(peak_mb, 1),
        "rss_growth_mib_per_10k_messages_second_half": None if growth is None else round(growth, 2),
        "samples_s_sent_rss_hwm_kib": samples[::step] + samples[-1:],
        "hwm_reached_at_s_sent": next(([s[0], s[1]] for s in samples if s[3] == peak_kib), None),
        "child_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "machine_busy_cores": machine_cores,
        "exactly_once": once,
        "goal": f"peak RSS < {GOAL_PEAK_MB:.0f} MB",
        "goal_met": peak_mb < GOAL_PEAK_MB and once["ok"] and proc.returncode == 0,
    }


# ------------------------------------------------------------------------------- report


def environment() -> dict[str, Any]:
    """Versions and the machine, for the results file."""
    return {
        **machine(
            (
                "python-telegram-bot",
                "httpx",
                "httpcore",
                "aiohttp",
                "aiolimiter",
                "SQLAlchemy",
                "sqlmodel",
                "aiosqlite",
            )
        ),
        "concurrency": delivery.concurrency(29.0),
    }


def verdict(met: bool) -> str:
    """MET or MISSED."""
    return "MET" if met else "MISSED"


def print_summary(result: dict[str, Any]) -> None:
    """The goals, met or missed."""
    print("\n== Goals")
    for row in result.get("ceiling", []):
        print(
            f"[{verdict(row['goal_met'])}] ceiling, fake latency {row['fake_latency_s'] * 1000:.0f}"
            f" ms: bot {row['bot']['rate']:,.0f} msg/s vs plain httpx {row['httpx_ceiling']:,.0f}"
            f" msg/s = {row['share_of_ceiling']:.0%} (goal >= {GOAL_CEILING_SHARE:.0%})"
        )
    for row in result.get("limited", []):
        print(
            f"[{verdict(row['goal_met'])}] 30/s limit, BRIEFING_RATE {row['briefing_rate']} "
            f"({row['limiter'].split('[')[-1].rstrip(']')}): {row['rate']:.2f} msg/s = "
            f"{row['share_of_limit']:.1%} (goal >= {GOAL_LIMITED_SHARE:.0%}), "
            f"{row['answered_429']} x 429, lost {row['exactly_once']['lost']}, "
            f"twice {row['exactly_once']['twice_or_more']}"
        )
    memory = result.get("memory")
    if memory:
        print(
            f"[{verdict(memory['goal_met'])}] memory, {memory['subscribers']:,} subscribers: "
            f"peak RSS {memory['peak_rss_mb']:.1f} MB (goal < {GOAL_PEAK_MB:.0f} MB), "
            f"{memory['seconds']:.0f} s"
        )
    for row in result.get("throughput", []):
        bot = row["bot"]
        print(
            f"[{verdict(row['goal_met'])}] throughput, {row['database']}, {row['subscribers']:,}"
            f" subscribers at 50 ms: {bot['rate']:,.0f} msg/s = {row['share_of_paced_raw']:.0%}"
            f" of raw aiohttp paced at {row['briefing_rate']:,.0f}/s (goal >= 1,000 msg/s and"
            f" >= {GOAL_RAW_SHARE:.0%}), {bot['cpu_ms_per_1000']:,.0f} ms CPU per 1,000, RSS"
            f" {bot['rss_mb_before']:.0f} -> {bot['rss_mb_after']:.0f} MB"
        )


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Run the chosen phases; the results as one dict."""
    phases = set(args.phases.split(","))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "environment": environment(),
        "args": vars(args),
    }
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        workdir = Path(tmp)
        async with FakeProcess() as fake:
            if "ceiling" in phases:
                result["ceiling"] = []
                for i, latency in enumerate(args.latencies):
                    print(f"\n== (1) ceiling, fake latency {latency * 1000:.0f} ms")
                    profile = None
                    if args.profile and i == 0:
                        profile = RESULTS_DIR / f"delivery-{stamp}-ceiling.prof"
                    row = await phase_ceiling(
                        fake, workdir, n=args.ceiling_subscribers, latency=latency, profile=profile
                    )
                    result["ceiling"].append(row)
            if "limited" in phases:
                result["limited"] = []
                variants = [(rate, False) for rate in args.rates]
                variants += [(rate, True) for rate in args.smooth_rates]
                for rate, smooth in variants:
                    print(f"\n== (2) fake limited to 30/s, BRIEFING_RATE {rate}, smooth={smooth}")
                    row = await phase_limited(
                        fake,
                        workdir,
                        n=args.limited_subscribers,
                        rate=rate,
                        latency=args.limited_latency,
                        smooth=smooth,
                        burst=args.smooth_burst,
                    )
                    result["limited"].append(row)
            if "memory" in phases:
                print(f"\n== (3) memory, {args.memory_subscribers:,} subscribers")
                result["memory"] = await phase_memory(fake, workdir, n=args.memory_subscribers)
            if "throughput" in phases:
                result["throughput"] = []
                n = args.throughput_subscribers
                for database in ("sqlite", "postgresql"):
                    base = os.environ.get("BENCH_POSTGRES_URL")
                    if database == "postgresql" and not base:
                        print("\n== (4) PostgreSQL skipped: set BENCH_POSTGRES_URL")
                        continue
                    print(f"\n== (4) throughput, {n:,} subscribers, {database}")
                    url, drop = ("", None)
                    if database == "postgresql" and base:
                        url, drop = await postgres_database(base)
                    try:
                        row = await phase_throughput(
                            fake,
                            workdir,
                            n=n,
                            rate=args.throughput_rate,
                            latency=0.05,
                            database=url,
                            profile=(
                                RESULTS_DIR / f"delivery-{stamp}-throughput-{database}.prof"
                                if args.profile
                                else None
                            ),
                        )
                    finally:
                        if drop is not None:
                            await drop
                    result["throughput"].append(row)
    result["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"delivery-{stamp}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    print_summary(result)
    print(f"\nResults: {out.relative_to(ROOT)}")
    return result


def floats(text: str) -> list[float]:
    """A comma-separated list of numbers."""
    return [float(p) for p in text.split(",") if p.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_delivery", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size by this")
    parser.add_argument("--phases", default="ceiling,limited,memory", help="which phases to run")
    parser.add_argument("--ceiling-subscribers", type=int, help="default 10,000 x scale")
    parser.add_argument("--limited-subscribers", type=int, help="default 1,500 x scale")
    parser.add_argument("--memory-subscribers", type=int, help="default 100,000 x scale")
    parser.add_argument(
        "--latencies",
        type=floats,
        default=[0.0, 0.05],
        help="fake latencies (s) for the ceiling, comma-separated (default 0,0.05)",
    )
    parser.add_argument(
        "--limited-latency", type=float, default=0.05, help="fake latency (s) under the limit"
    )
    parser.add_argument(
        "--rates",
        type=floats,
        default=[25.0, 29.0],
        help="BRIEFING_RATE values under the 30/s limit (default 25,29)",
    )
    parser.add_argument(
        "--smooth-rates",
        type=floats,
        default=[29.0, 29.5],
        help="also try these rates with a burst-free limiter (an experiment; default 29,29.5)",
    )
    parser.add_argument(
        "--smooth-burst", type=int, default=1, help="bucket size of the burst-free limiter"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the first ceiling run and each throughput run (CPU time)",
    )
    parser.add_argument("--throughput-subscribers", type=int, help="default 20,000 x scale")
    parser.add_argument(
        "--throughput-rate", type=float, default=1000.0, help="BRIEFING_RATE (default 1000)"
    )
    args = parser.parse_args(argv)
    args.ceiling_subscribers = args.ceiling_subscribers or max(50, round(10_000 * args.scale))
    args.limited_subscribers = args.limited_subscribers or max(60, round(1_500 * args.scale))
    args.memory_subscribers = args.memory_subscribers or max(100, round(100_000 * args.scale))
    args.throughput_subscribers = args.throughput_subscribers or max(
        100, round(20_000 * args.scale)
    )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; always 0 unless it could not run at all."""
    args = parse_args(argv)
    asyncio.run(benchmark(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
