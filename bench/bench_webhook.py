"""The webhook path: /latest updates per second for one replica and for two, on PostgreSQL.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, user postgres, trust auth)::

    python -m bench.bench_webhook                              # 16 and 64 outstanding, 20 s each
    python -m bench.bench_webhook --duration 5 --warmup 1      # quick smoke run
    python -m bench.bench_webhook --rounds 2                   # 1, 2, 1, 2 replicas
    python -m bench.bench_webhook --pool-sizes 32              # + replicas with a smaller pool

It creates a fresh database (bench_webhook_<random>), migrates and seeds it, and drops it at the
end. Each replica is a separate ``python -m bot webhook`` process (its own port, WEBHOOK_SECRET,
TELEGRAM_API_BASE pointing at the fake) on that database. The load generator (this process)
posts /latest updates with the secret header, round-robin over the replicas, in a closed loop:
CONCURRENCY updates outstanding, each done when the fake Bot API (tests/fake_server.py, in this
process) receives the reply to its chat. Updates/s counts replies within the timed window.
This machine's cores are shared by the generator, the fake, PostgreSQL and the replicas; the
CPU each used is reported next to the rates. Replicas run with RATE_LIMIT=false, to measure what
the bot can do; with --rate-limit they run as shipped, and AIORateLimiter then paces every reply
at BRIEFING_RATE (25/s by default) per replica. Results go to stdout and
bench/results/webhook-<timestamp>.json; the exit status is 0 even when a figure disappoints.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import machine
from bot.webhook import SECRET_HEADER
from fake_telegram import FAKE_TOKEN, LocalBotApi
from fake_telegram.server import FakeTelegramServer
from kinds.transfer import load_seed
from store.db import create_engine, make_session_factory, upgrade_schema

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
HOOK_PATH = "/hook"
CHAT_BASE = 7_000_000
CHATS_PER_WORKER = 50
REPLY_MARK = "Latest updates"
REPLY_TIMEOUT = 30.0


# ------------------------------------------------------------------------------- the fake


class ReplyWatcher(LocalBotApi):
    """LocalBotApi that wakes whoever waits for a chat's reply, and forgets each message."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.waiting: dict[int, asyncio.Future[str]] = {}
        self.replies = 0
        self.other_calls: dict[str, int] = {}

    async def handle(self, method: str, params: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer like LocalBotApi; hand a sendMessage's text to the waiter of its chat."""
        status, body = await super().handle(method, params)
        if method.lower() == "sendmessage" and status == 200:
            self.replies += 1
            chat_id = int(body["result"]["chat"]["id"])
            future = self.waiting.pop(chat_id, None)
            if future is not None and not future.done():
                future.set_result(str(body["result"].get("text", "")))
        else:
            name = f"{method}:{status}"
            self.other_calls[name] = self.other_calls.get(name, 0) + 1
        self.calls.clear()
        self._log.clear()
        self._messages.clear()
        self._message_ids.clear()
        return status, body


# ------------------------------------------------------------------------------- processes


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> dict[int, float]:
    """CPU seconds of every process named postgres (the server and its backends), by pid."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    found[int(entry.name)] = cpu_seconds(int(entry.name))
    return found


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick


@dataclass
class Replica:
    """One `python -m bot webhook` process."""

    port: int
    proc: asyncio.subprocess.Process

    @property
    def url(self) -> str:
        """Where updates are posted."""
        return f"http://127.0.0.1:{self.port}{HOOK_PATH}"


def replica_env(database_url: str, api_base: str, secret: str, rate_limit: bool) -> dict[str, str]:
    """The environment of a replica: none of the bot's settings inherited from ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    for name in ("TELEGRAM_API_BASE", "WEBHOOK_URL", "WEBHOOK_SECRET", "PORT", "RATE_LIMIT"):
        env.pop(name, None)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": FAKE_TOKEN,
            "TELEGRAM_API_BASE": api_base,
            "DATABASE_URL": database_url,
            "WEBHOOK_URL": f"https://bot.example.org{HOOK_PATH}",
            "WEBHOOK_SECRET": secret,
            "LISTEN": "127.0.0.1",
            "SEED_ON_EMPTY": "false",
            "RATE_LIMIT": "true" if rate_limit else "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


SHIPPED = ("-m", "bot", "webhook")


def pool_command(pool_size: int) -> tuple[str, ...]:
    """The experiment's replica: the same webhook with a Bot API pool of `pool_size`."""
    return ("-m", "bench.webhook_replica", "--pool-size", str(pool_size))


async def start_replica(env: dict[str, str], workdir: Path, command: Sequence[str]) -> Replica:
    """Start one replica and wait until its /healthz answers 200."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        cwd=workdir,
        env={**env, "PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if proc.returncode is not None:
                raise RuntimeError(f"replica on port {port} exited with {proc.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return Replica(port, proc)
            await asyncio.sleep(0.05)
    raise RuntimeError(f"replica on port {port} never became healthy")


async def stop_replicas(replicas: Sequence[Replica]) -> None:
    """SIGTERM every replica and wait for it."""
    for replica in replicas:
        if replica.proc.returncode is None:
            replica.proc.send_signal(signal.SIGTERM)
    for replica in replicas:
        try:
            await asyncio.wait_for(replica.proc.wait(), timeout=30)
        except TimeoutError:
            replica.proc.kill()
            await replica.proc.wait()


# ------------------------------------------------------------------------------- the database


async def admin(sql: str) -> None:
    """Run one statement on the postgres database, outside a transaction."""
    engine = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def prepare_database(name: str) -> str:
    """Create, migrate and seed a fresh database; its URL."""
    await admin(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    try:
        await upgrade_schema(engine)
        async with make_session_factory(engine)() as session:
            await load_seed(session)
    finally:
        await engine.dispose()
    return url


# ------------------------------------------------------------------------------- the load


@dataclass
class Window:
    """What one timed window of load measured."""

    replicas: int
    config: str = ""
    seconds: float = 0.0
    done: int = 0
    bad_replies: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The window as JSON-ready figures."""
        lat = sorted(self.latencies_ms)
        pick = (lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 1)) if lat else None
        return {
            "config": self.config,
            "replicas": self.replicas,
            "seconds": round(self.seconds, 2),
            "updates": self.done,
            "updates_per_s": round(self.done / self.seconds, 1) if self.seconds else 0.0,
            "bad_replies": self.bad_replies,
            "errors": self.errors,
            "latency_ms": {
                "p50": pick(0.5) if pick else None,
                "p90": pick(0.9) if pick else None,
                "p99": pick(0.99) if pick else None,
                "mean": round(statistics.fmean(lat), 1) if lat else None,
            },
            "cpu_cores": {k: round(v, 2) for k, v in self.cpu.items()},
        }


async def drive(
    api: ReplyWatcher,
    replicas: Sequence[Replica],
    *,
    secret: str,
    concurrency: int,
    warmup: float,
    duration: float,
    config: str,
) -> Window:
    """Closed-loop /latest load over the replicas; counts replies within the timed window."""
    window = Window(replicas=len(replicas), config=config)
    loop = asyncio.get_running_loop()
    start = loop.time() + warmup
    end = start + duration
    headers = {SECRET_HEADER: secret}
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def worker(w: int, http: aiohttp.ClientSession) -> None:
        target = replicas[w % len(replicas)]
        k = 0
        while loop.time() < end:
            chat_id = CHAT_BASE + w + concurrency * (k % CHATS_PER_WORKER)
            k += 1
            update = api.make_message("/latest", chat_id=chat_id, user_id=chat_id)
            future: asyncio.Future[str] = loop.create_future()
            api.waiting[chat_id] = future
            sent_at = loop.time()
            try:
                async with http.post(target.url, json=update, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}")
                reply = await asyncio.wait_for(future, REPLY_TIMEOUT)
            except (aiohttp.ClientError, RuntimeError, TimeoutError):
                api.waiting.pop(chat_id, None)
                if start <= loop.time() < end:
                    window.errors += 1
                continue
            finished = loop.time()
            if start <= finished < end:
                window.done += 1
                window.latencies_ms.append(1000 * (finished - sent_at))
                if REPLY_MARK not in reply:
                    window.bad_replies += 1

    async def measure_cpu() -> None:
        await asyncio.sleep(max(0.0, start - loop.time()))
        pids = {f"replica_{i + 1}": r.proc.pid for i, r in enumerate(replicas)}
        before = {k: cpu_seconds(p) for k, p in pids.items()}
        own, pg, (busy, total) = time.process_time(), postgres_cpu_seconds(), machine_busy_seconds()
        await asyncio.sleep(max(0.0, end - loop.time()))
        elapsed = duration
        window.cpu = {k: (cpu_seconds(p) - before[k]) / elapsed for k, p in pids.items()}
        window.cpu["load_generator_and_fake"] = (time.process_time() - own) / elapsed
        # Backends that exited meanwhile are missed; new ones count from zero.
        pg_now = postgres_cpu_seconds()
        window.cpu["postgresql"] = sum(v - pg.get(p, 0.0) for p, v in pg_now.items()) / elapsed
        busy_now, total_now = machine_busy_seconds()
        cores = os.cpu_count() or 1
        window.cpu["machine_busy"] = (busy_now - busy) / (total_now - total) * cores
        window.cpu["other_processes"] = window.cpu["machine_busy"] - sum(
            v for k, v in window.cpu.items() if k != "machine_busy"
        )

    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(measure_cpu(), *(worker(w, http) for w in range(concurrency)))
    window.seconds = duration
    return window


# ------------------------------------------------------------------------------- report


def environment() -> dict[str, Any]:
    """Versions and the machine, for the results file."""
    return machine(("python-telegram-bot", "httpx", "aiohttp", "SQLAlchemy", "asyncpg", "sqlmodel"))


def print_window(window: dict[str, Any]) -> None:
    """One configuration's line."""
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in window["cpu_cores"].items())
    print(
        f"  {window['replicas']} replica(s): {window['updates_per_s']:,.0f} updates/s "
        f"(p50 {window['latency_ms']['p50']} ms, p99 {window['latency_ms']['p99']} ms, "
        f"{window['errors']} errors, {window['bad_replies']} bad replies)\n"
        f"    CPU in cores: {cpu}"
    )


async def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Run 1 then 2 replicas (`rounds` times) for each configuration; the results as one dict."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"bench_webhook_{secrets.token_hex(6)}"
    secret = secrets.token_urlsafe(24)
    result: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "environment": environment(),
        "args": vars(args),
        "database": name,
        "windows": [],
        "configs": {},
    }
    configs: list[tuple[str, Sequence[str]]] = [("python -m bot webhook (as shipped)", SHIPPED)]
    configs += [(f"Bot API pool {n} [experiment]", pool_command(n)) for n in args.pool_sizes]
    api = ReplyWatcher(latency=args.latency)
    replicas: list[Replica] = []
    try:
        url = await prepare_database(name)
        with tempfile.TemporaryDirectory(prefix="bench-webhook-") as tmp:
            async with FakeTelegramServer(api) as server:
                env = replica_env(url, server.base_url, secret, args.rate_limit)
                for program, command in configs:
                    for concurrency in args.concurrency:
                        label = f"{program}, {concurrency} outstanding"
                        for round_no in range(args.rounds):
                            for count in (1, 2):
                                while len(replicas) < count:
                                    replicas.append(await start_replica(env, Path(tmp), command))
                                print(f"\n== {label}, round {round_no + 1}: {count} replica(s)")
                                window = await drive(
                                    api,
                                    replicas[:count],
                                    secret=secret,
                                    concurrency=concurrency,
                                    warmup=args.warmup,
                                    duration=args.duration,
                                    config=label,
                                )
                                summary = window.summary()
                                print_window(summary)
                                result["windows"].append(summary)
                        result["configs"][label] = scaling(result["windows"], label)
                    await stop_replicas(replicas)
                    replicas.clear()
    finally:
        await stop_replicas(replicas)
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result["other_fake_calls"] = api.other_calls
    result["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"webhook-{stamp}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(
        f"\n== /latest over the webhook on PostgreSQL; {os.cpu_count()} cores shared by the "
        f"replicas, PostgreSQL, the load generator and the fake (fake latency "
        f"{args.latency * 1000:.0f} ms)"
    )
    for label, row in result["configs"].items():
        print(
            f"{label}: 1 replica {row['one_replica_updates_per_s']:,.0f} updates/s, "
            f"2 replicas {row['two_replicas_updates_per_s']:,.0f} updates/s, "
            f"ratio {row['ratio_two_to_one']:.2f}"
        )
    print(f"Results: {out.relative_to(ROOT)}")
    return result


def scaling(windows: Sequence[dict[str, Any]], label: str) -> dict[str, Any]:
    """Mean updates/s of one and of two replicas in a configuration, and their ratio."""
    rows = [w for w in windows if w["config"] == label]
    one = statistics.fmean(w["updates_per_s"] for w in rows if w["replicas"] == 1)
    two = statistics.fmean(w["updates_per_s"] for w in rows if w["replicas"] == 2)
    return {
        "one_replica_updates_per_s": round(one, 1),
        "two_replicas_updates_per_s": round(two, 1),
        "ratio_two_to_one": round(two / one, 2) if one else None,
    }


def ints(text: str) -> list[int]:
    """A comma-separated list of integers (empty: none)."""
    return [int(p) for p in text.split(",") if p.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_webhook", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--duration", type=float, default=20.0, help="timed seconds per window")
    parser.add_argument("--warmup", type=float, default=3.0, help="untimed seconds first")
    parser.add_argument(
        "--concurrency",
        type=ints,
        default=[16, 64],
        help="updates outstanding (closed loop), comma-separated: each is a configuration",
    )
    parser.add_argument("--rounds", type=int, default=1, help="repeat 1 and 2 replicas N times")
    parser.add_argument("--latency", type=float, default=0.02, help="fake Bot API answer delay (s)")
    parser.add_argument(
        "--rate-limit",
        action="store_true",
        help="keep AIORateLimiter on in the replicas (as shipped: replies paced at BRIEFING_RATE)",
    )
    parser.add_argument(
        "--pool-sizes",
        type=ints,
        default=[],
        help="also run replicas with these Bot API pool sizes, comma-separated (an experiment)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; always 0 unless it could not run at all."""
    asyncio.run(benchmark(parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
