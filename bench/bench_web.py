"""Requests per second per core of the web pages and feeds, on the command benchmark's store.

Run from the repository root::

    python -m bench.bench_web                    # full size: 100k updates
    python -m bench.bench_web --scale 0.01       # quick smoke run
    python -m bench.bench_web --db /tmp/bench.db # fill once (same file as bench_commands)

The store is filled as for bench/bench_commands.py (bench/store_fill.py), plus an audit log: one
entry per stored update and a few hundred corrections and retractions, so the feeds and the
caching headers have something to read. The server is the real ``python -m bot web`` in a child
process pinned to one CPU; this process is the client (aiohttp, N requests in flight) on another.
"Per core" is requests divided by the server's CPU seconds (utime + stime from /proc), so a busy
machine slows the clock, not the figure. The floor is a bare aiohttp server answering the same
number of bytes as the latest page with no database and no template: the ratios say what the
pages cost above aiohttp itself, and what a feed reader's 304 saves against a full render.
Results go to stdout and bench/results/web-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from sqlalchemy import func, insert, select, text

from bench.bench_commands import COMMON_WORD, prepare_store
from bench.common import machine
from bench.store_fill import RARE_WORD, table
from store.db import create_engine

_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = _ROOT / "bench" / "results"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")
EDITS, RETRACTIONS = 300, 50
FLOOR = "floor: bare aiohttp, same bytes"

FLOOR_SERVER = """
import sys
from aiohttp import web
body = b"x" * int(sys.argv[2])
async def page(request):
    return web.Response(body=body, content_type="text/html")
app = web.Application()
app.router.add_get("/floor", page)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


@dataclass
class Case:
    """One request under measurement and what it must answer."""

    label: str
    path: str
    status: int = 200
    contains: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)  # several, taken in turn (fact pages)
    result: dict[str, Any] = field(default_factory=dict)


async def add_audit_log(database_url: str, *, seed: int) -> int:
    """An audit entry per update (as an import writes), then edits and retractions; idempotent."""
    engine = create_engine(database_url)
    audit = table("audit_entry")
    rng = random.Random(seed)
    try:
        async with engine.begin() as conn:
            if (await conn.execute(select(func.count()).select_from(audit))).scalar():
                return 0
            rows = (await conn.execute(text("SELECT id, headline FROM news_update"))).all()
            at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            entries: list[dict[str, Any]] = [
                {
                    "at": at + dt.timedelta(minutes=i),
                    "actor_name": "system",
                    "action": "import",
                    "fact_kind": "update",
                    "fact_id": fact_id,
                    "after": json.dumps({"headline": headline}),
                }
                for i, (fact_id, headline) in enumerate(rows)
            ]
            later = at + dt.timedelta(minutes=len(rows))
            for i in range(EDITS + RETRACTIONS):
                fact_id, headline = rng.choice(rows)
                retract = i >= EDITS
                entries.append(
                    {
                        "at": later + dt.timedelta(minutes=i),
                        "actor_name": "editor",
                        "action": "retract" if retract else "edit",
                        "fact_kind": "update",
                        "fact_id": fact_id,
                        "before": json.dumps({"headline": headline, "date": "2025-06-01"}),
                        "after": json.dumps({"headline": headline, "date": "2025-06-02"}),
                        "note": "duplicate" if retract else None,
                    }
                )
            for start in range(0, len(entries), 5000):
                await conn.execute(insert(audit), entries[start : start + 5000])
            return len(entries)
    finally:
        await engine.dispose()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


async def spawn(args: Sequence[str], env: dict[str, str], cpu: int | None) -> Any:
    """Start a child process, pinned to one CPU when asked."""
    proc = await asyncio.create_subprocess_exec(*args, env=env, cwd=_ROOT)
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        allowed = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(proc.pid, {allowed[cpu % len(allowed)]})
    return proc


async def wait_until_up(http: aiohttp.ClientSession, url: str) -> None:
    """Poll `url` until it answers (a child process may take a few seconds to start)."""
    for _ in range(600):
        try:
            async with http.get(url) as resp:
                await resp.read()
                return
        except aiohttp.ClientConnectorError:
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} never answered")


async def measure(
    http: aiohttp.ClientSession,
    base: str,
    case: Case,
    *,
    pid: int,
    requests: int,
    concurrency: int,
    warmup: int,
) -> None:
    """Send `requests` requests, `concurrency` at a time; record rate, CPU and latencies."""
    paths = case.paths or [case.path]
    latencies: list[float] = []
    failures: list[str] = []

    async def one(i: int, record: bool) -> None:
        t0 = time.perf_counter()
        async with http.get(base + paths[i % len(paths)], headers=case.headers) as resp:
            body = await resp.text()
            if resp.status != case.status or (case.contains and case.contains not in body):
                failures.append(f"{resp.status} {body[:80]!r}")
        if record:
            latencies.append(time.perf_counter() - t0)

    async def worker(indices: range, record: bool) -> None:
        for i in indices:
            await one(i, record)

    async def run(n: int, record: bool) -> None:
        workers = (worker(range(w, n, concurrency), record) for w in range(concurrency))
        await asyncio.gather(*workers)

    await run(warmup, False)
    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    await run(requests, True)
    wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    latencies.sort()
    case.result = {
        "requests": requests,
        "wall_rps": round(requests / wall, 1),
        "server_cpu_s": round(cpu, 3),
        "rps_per_core": round(requests / cpu, 1) if cpu > 0 else None,
        "cpu_ms_per_request": round(1000 * cpu / requests, 3),
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 2),
        "p99_ms": round(1000 * latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)], 2),
        "failures": failures[:5],
        "failed": len(failures),
    }


async def benchmark(args: argparse.Namespace, db_path: Path) -> int:
    """Fill or reuse the store, serve it with `python -m bot web`, measure each case."""
    database_url = f"sqlite+aiosqlite:///{db_path}"
    started = dt.datetime.now(dt.UTC)
    _, facts = await prepare_store(
        database_url,
        scale=args.scale,
        seed=args.seed,
        rare_word=RARE_WORD,
        common_word=COMMON_WORD,
    )
    added = await add_audit_log(database_url, seed=args.seed)
    print(f"Store: {facts.rows['news_update']:,} updates; {added:,} audit entries added.")
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        update_ids = [r[0] for r in (await conn.execute(text("SELECT id FROM news_update")))]
    await engine.dispose()
    rng = random.Random(args.seed)
    fact_paths = [f"/fact/U{i}" for i in rng.sample(update_ids, min(500, len(update_ids)))]

    port, floor_port = args.port, args.port + 1
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WEB_", "DATABASE_"))},
        "DATABASE_URL": database_url,
        "LISTEN": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "SEED_ON_EMPTY": "false",
        "PYTHONPATH": str(_ROOT),
    }
    base = f"http://127.0.0.1:{port}/web"
    server = await spawn([sys.executable, "-m", "bot", "web"], env, args.cpu)
    floor = None
    try:
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:
            await wait_until_up(http, base + "/rounds")
            async with http.get(base + "/") as resp:
                page_bytes = len(await resp.read())
            async with http.get(base + "/feed.atom") as resp:
                feed_etag = resp.headers["ETag"]
            async with http.get(base + "/") as resp:
                page_etag = resp.headers["ETag"]
            floor = await spawn(
                [sys.executable, "-c", FLOOR_SERVER, str(floor_port), str(page_bytes)],
                env,
                args.cpu,
            )
            await wait_until_up(http, f"http://127.0.0.1:{floor_port}/floor")
            total = args.requests + args.warmup

            def fresh(path: str) -> list[str]:
                # A query string of its own per request: the render cache never answers.
                joiner = "&" if "?" in path else "?"
                return [f"{path}{joiner}r={i}" for i in range(total)]

            pages = [
                ("latest updates, page 1", "/", "Latest updates"),
                ("latest updates, page 50", "/?page=50", "Older"),
                ("positions table", "/positions", "Current positions"),
                ("exchanges, page 1", "/exchanges", "Prisoner exchanges"),
                ("rounds timeline", "/rounds", "Rounds of talks"),
                ("updates feed", "/feed.atom", "<entry>"),
                ("corrections feed", "/corrections.atom", "<entry>"),
            ]
            cases = [Case(FLOOR, "/floor")]
            for label, path, needle in pages:
                cases.append(Case(f"{label}, rendered", "", contains=needle, paths=fresh(path)))
                cases.append(Case(f"{label}, cached", path, contains=needle))
            cases += [
                Case(
                    "fact page, rendered",
                    "",
                    contains="History",
                    paths=[f"{p}?r={i}" for i, p in enumerate(fact_paths * (total // 500 + 1))],
                ),
                Case("fact page, cached", "", contains="History", paths=fact_paths[:50]),
                Case(
                    "updates feed, 304",
                    "/feed.atom",
                    status=304,
                    headers={"If-None-Match": feed_etag},
                ),
                Case("latest page, 304", "/", status=304, headers={"If-None-Match": page_etag}),
            ]
            assert server.pid is not None and floor.pid is not None
            for case in cases:
                is_floor = case.label == FLOOR
                await measure(
                    http,
                    f"http://127.0.0.1:{floor_port}" if is_floor else base,
                    case,
                    pid=floor.pid if is_floor else server.pid,
                    requests=args.requests,
                    concurrency=args.concurrency,
                    warmup=args.warmup,
                )
                r = case.result
                print(
                    f"{case.label:<40} {r['rps_per_core'] or 0:>8,.0f} req/s/core "
                    f"{r['cpu_ms_per_request']:>7.3f} ms CPU  p50 {r['p50_ms']:>6.2f} ms  "
                    f"p99 {r['p99_ms']:>6.2f} ms  wall {r['wall_rps']:>7,.0f} req/s"
                    + (f"  FAILED {r['failed']}: {r['failures'][0]}" if r["failed"] else "")
                )
    finally:
        for proc in (server, floor):
            if proc is not None and proc.returncode is None:
                proc.terminate()
                await proc.wait()

    by_label = {c.label: c.result["cpu_ms_per_request"] for c in cases}
    floor_ms = by_label[FLOOR]
    ratios = {
        "updates feed: rendered / 304": by_label["updates feed, rendered"]
        / by_label["updates feed, 304"],
        "updates feed: cached / 304": by_label["updates feed, cached"]
        / by_label["updates feed, 304"],
        "latest page: rendered / 304": by_label["latest updates, page 1, rendered"]
        / by_label["latest page, 304"],
        **{f"{label} / floor": ms / floor_ms for label, ms in by_label.items() if label != FLOOR},
    }
    print()
    for name, value in ratios.items():
        print(f"  {name:<48} {value:6.2f}×")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"web-{started:%Y%m%d-%H%M%S}.json"
    result = {
        "benchmark": "bench.bench_web",
        "started": started.isoformat(timespec="seconds"),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine(["aiohttp", "jinja2", "sqlalchemy", "aiosqlite"]),
        "store_rows": facts.rows,
        "results": {c.label: c.result for c in cases},
        "cpu_ratios": {k: round(v, 2) for k, v in ratios.items()},
    }
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWrote {out.relative_to(_ROOT)}")
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.bench_web", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="store size (1 = 100k updates)")
    parser.add_argument("--db", type=Path, help="SQLite file to fill, or reuse if already filled")
    parser.add_argument("--seed", type=int, default=20251127, help="random seed of the data")
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=100, help="untimed requests per case first")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--port", type=int, default=18080, help="server port (floor: port + 1)")
    parser.add_argument(
        "--cpu", type=int, default=1, help="CPU for the servers (this client takes the others)"
    )
    args = parser.parse_args(argv)
    if args.requests < 10 or args.concurrency < 1 or args.scale <= 0:
        parser.error("--requests ≥ 10, --concurrency ≥ 1, --scale > 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        allowed = sorted(os.sched_getaffinity(0))
        others = set(allowed) - {allowed[args.cpu % len(allowed)]}
        if others:
            os.sched_setaffinity(0, others)
    if args.db is not None:
        return asyncio.run(benchmark(args, args.db.resolve()))
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        return asyncio.run(benchmark(args, Path(tmp) / "briefing.db"))


if __name__ == "__main__":
    sys.exit(main())
