"""Charts: the time to draw one cold against serving it from the cache (same data, same language).

    .venv/bin/python -m bench.bench_charts               # 20 rounds of each chart
    .venv/bin/python -m bench.bench_charts --rounds 50

"Cold" draws a chart of data not drawn before (matplotlib Figure + Agg canvas, PNG encoding),
as the first reader to ask for it pays. "Cached" is what every later request pays in the bot:
hashing the data into the cache key and finding the PNG (services/charts.py); after the first
upload even that PNG is not sent, only Telegram's file_id. Both are timed in one process,
after one warm-up draw (the matplotlib import and font cache are paid once per process and
reported apart), and the median is printed with the ratio; the cold draw's CPU time too, which
a busy machine stretches less than the wall clock.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.common import machine
from kinds.charts import AgreedMark, ExchangeChart, RoundMark, RoundsChart, SideSeries
from render import charts as drawing
from services import charts as cache


def exchanges_data(seed: int) -> ExchangeChart:
    """A year of exchanges; `seed` makes each one distinct (so it is never in the cache)."""
    living = tuple((seed * 7 + m * 131) % 1200 for m in range(12))
    return ExchangeChart(
        year=2025,
        sides=(SideSeries("Russia", living), SideSeries("Ukraine", living[::-1])),
        completed=9,
        agreed=(AgreedMark(dt.date(2025, 6, 2), None), AgreedMark(dt.date(2025, 7, 1), seed)),
    )


def rounds_data(seed: int) -> RoundsChart:
    """Thirteen rounds of talks, the seed in a title."""
    start = dt.date(2025, 5, 16)
    return RoundsChart(
        tuple(
            RoundMark(
                start + dt.timedelta(days=21 * i), None, f"Round {i + 1} ({seed})", "Istanbul"
            )
            for i in range(13)
        )
    )


async def measure(
    name: str, draw: Callable[[Any], bytes], make: Callable[[int], Any], rounds: int
) -> dict[str, Any]:
    """Median cold and cached times of one chart, in milliseconds."""
    cache.clear_cache()
    cold, cold_cpu, cached = [], [], []
    for i in range(rounds):
        data = make(i)
        t0, c0 = time.perf_counter(), time.process_time()
        png = await cache.chart_png(cache.chart_key(name, data, "en"), draw, data)
        cold.append(time.perf_counter() - t0)
        cold_cpu.append(time.process_time() - c0)
        t0 = time.perf_counter()
        again = await cache.chart_png(cache.chart_key(name, data, "en"), draw, data)
        cached.append(time.perf_counter() - t0)
        assert again is png
    cold_ms, cached_ms = statistics.median(cold) * 1e3, statistics.median(cached) * 1e3
    return {
        "chart": name,
        "png_bytes": len(png),
        "cold_ms": round(cold_ms, 1),
        "cold_cpu_ms": round(statistics.median(cold_cpu) * 1e3, 1),
        "cached_ms": round(cached_ms, 4),
        "ratio": round(cold_ms / cached_ms),
    }


async def main(rounds: int) -> None:
    """Warm up, then time both charts."""
    t0 = time.perf_counter()
    drawing.draw_exchanges(exchanges_data(-1))  # imports matplotlib, loads the font cache
    first = (time.perf_counter() - t0) * 1e3
    results = [
        await measure("exchanges", drawing.draw_exchanges, exchanges_data, rounds),
        await measure("rounds", drawing.draw_rounds, rounds_data, rounds),
    ]
    print(json.dumps({"machine": machine(["matplotlib"]), "first_draw_ms": round(first)}))
    print(f"first draw in a process (matplotlib import + font cache): {first:.0f} ms")
    for r in results:
        print(
            f"{r['chart']:>9}: cold {r['cold_ms']:.1f} ms ({r['cold_cpu_ms']:.1f} ms CPU), "
            f"cached {r['cached_ms'] * 1e3:.1f} µs, "
            f"ratio {r['ratio']:,}x, PNG {r['png_bytes'] / 1024:.0f} kB"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
