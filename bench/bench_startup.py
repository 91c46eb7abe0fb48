"""Start-up time: process start to the first getUpdates, the bot against a minimal PTB bot.

Run from the repository root::

    python -m bench.bench_startup                    # 7 starts of each, alternating
    python -m bench.bench_startup --runs 3 --also OLD_CHECKOUT   # also a checkout of another commit
    python -m bench.bench_startup --floor            # also the minimal bot importing our libraries

The fake Bot API (fake_telegram/server.py) runs in this process and notes when each process
calls getUpdates for the first time; the process is then stopped with SIGTERM. The bot runs as
``python -m bot`` (long polling) on a SQLite store that ``python -m bot migrate`` of the same
checkout has already migrated, so nothing is left to migrate, and with the checkout's modules
byte-compiled as ``make install`` leaves them (the minimal bot's are, in site-packages): what is
timed is what every restart costs. The minimal bot is PTB's
``Application.builder().token(...).build()`` with one CommandHandler and ``run_polling()``.
Both are started alternately, so that machine noise hits both alike; medians and their ratio
are printed. The machine's 2 cores may be shared with other work: compare ratios, not times.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fake_telegram.api import FAKE_TOKEN, LocalBotApi
from fake_telegram.server import FakeTelegramServer

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120.0
# The bot's packages, byte-compiled before timing as `make install` does.
PACKAGES = ("bot", "core", "handlers", "kinds", "render", "services", "store", "web")

# What the bot cannot start without: its libraries, imported by the minimal bot with `--floor`.
LIBRARIES = """
import aiohttp, aiosqlite, pydantic_settings, sqlmodel, sqlmodel.ext.asyncio.session
import sqlalchemy.dialects.postgresql, sqlalchemy.dialects.sqlite.aiosqlite, sqlalchemy.orm
"""

MINIMAL = """
import os
from telegram.ext import Application, CommandHandler

async def start(update, context):
    await update.effective_message.reply_text("hi")

app = Application.builder().token(os.environ["BOT_TOKEN"]).base_url(
    os.environ["TELEGRAM_API_BASE"]).build()
app.add_handler(CommandHandler("start", start))
app.run_polling()
"""


class FirstPoll(LocalBotApi):
    """LocalBotApi that wakes a waiter at the first getUpdates."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.polled: asyncio.Event = asyncio.Event()
        self.polled_at = 0.0
        self.pid = 0
        self.cpu = 0.0

    async def handle(self, method: str, params: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """Note the first getUpdates, then answer like LocalBotApi."""
        if method.lower() == "getupdates" and not self.polled.is_set():
            self.polled_at = time.perf_counter()
            self.cpu = cpu_seconds(self.pid)
            self.polled.set()
        return await super().handle(method, params)


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, all threads) process `pid` has used so far; 0.0 off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def time_start(
    api: FirstPoll, args: Sequence[str], env: dict[str, str], cwd: Path
) -> tuple[float, float]:
    """Seconds from spawning `python args` to its first getUpdates, and the CPU seconds used."""
    api.polled.clear()
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    api.pid = proc.pid
    try:
        await asyncio.wait_for(api.polled.wait(), TIMEOUT)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    return api.polled_at - started, api.cpu


async def benchmark(args: argparse.Namespace) -> None:
    """Alternate the starts and print medians."""
    api = FirstPoll()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        async with FakeTelegramServer(api) as server:
            base = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("BOT_", "DATABASE_", "TELEGRAM_", "WEBHOOK_"))
            }
            base.update(
                {
                    "BOT_TOKEN": FAKE_TOKEN,
                    "TELEGRAM_API_BASE": server.base_url,
                    "SEED_ON_EMPTY": "false",
                    "LOG_LEVEL": "WARNING",
                }
            )
            subjects: list[tuple[str, Sequence[str], Path]] = [
                ("minimal PTB bot", ("-c", MINIMAL), ROOT),
                ("python -m bot", ("-m", "bot"), ROOT),
            ]
            if args.floor:
                subjects.insert(
                    1, ("minimal bot + the bot's libraries", ("-c", LIBRARIES + MINIMAL), ROOT)
                )
            subjects += [(f"python -m bot ({p})", ("-m", "bot"), Path(p)) for p in args.also]
            envs: dict[str, dict[str, str]] = {}
            for n, (label, command, cwd) in enumerate(subjects):
                url = f"sqlite+aiosqlite:///{Path(tmp) / f'store{n}.db'}"
                envs[label] = {**base, "PYTHONPATH": str(cwd), "DATABASE_URL": url}
                if command[0] == "-m":  # each checkout: byte-compiled, its own store migrated
                    compile_all = await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "compileall", "-q", *PACKAGES, cwd=cwd
                    )
                    await compile_all.wait()
                    migrate = await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "bot", "migrate", cwd=cwd, env=envs[label]
                    )
                    await migrate.wait()
            times: dict[str, list[float]] = {label: [] for label, _, _ in subjects}
            cpus: dict[str, list[float]] = {label: [] for label, _, _ in subjects}
            for _ in range(args.runs):
                for label, command, cwd in subjects:
                    wall, cpu = await time_start(api, command, envs[label], cwd)
                    times[label].append(wall)
                    cpus[label].append(cpu)
    floor = statistics.median(times["minimal PTB bot"])
    cpu_floor = statistics.median(cpus["minimal PTB bot"]) or 1.0
    print(f"Start-up to the first getUpdates, median of {args.runs} (alternating):")
    for label, values in times.items():
        median = statistics.median(values)
        spread = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {label}: {median:.2f} s ({median / floor:.2f}x the minimal bot; runs {spread})")
    # CPU time suffers less than wall time from other work on the machine.
    print("CPU seconds (user + system) used by then, median:")
    for label, values in cpus.items():
        median = statistics.median(values)
        print(f"  {label}: {median:.2f} s ({median / cpu_floor:.2f}x the minimal bot)")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_startup", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--runs", type=int, default=7, help="starts of each")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also the minimal bot importing the bot's libraries first (the floor for the bot)",
    )
    parser.add_argument(
        "--also", action="append", default=[], help="also start the bot from this checkout"
    )
    asyncio.run(benchmark(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
