"""Charts sent as photos: drawn once per distinct data and language, uploaded once per store.

A chart's cache key is a hash of the data it shows, the reader's language and the drawing's
version. The PNG is kept in this process (so the same data is never drawn twice), and the
file_id Telegram returns for the first upload is stored (table chart_file), so every replica
sends that id afterwards instead of the picture.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Message
from telegram.error import BadRequest

from core.i18n import current_language
from render import charts as drawing
from store import charts as chart_files

log = logging.getLogger(__name__)
T = TypeVar("T")

# Bump when the drawing changes, so pictures cached (and uploaded) before are drawn again.
DRAWING_VERSION = 1
MAX_CACHED = 32  # PNGs kept in memory (each some 50 kB)

_png: OrderedDict[str, bytes] = OrderedDict()
_drawing: dict[str, asyncio.Future[bytes]] = {}


def chart_key(name: str, data: object, language: str) -> str:
    """The cache key of a chart: a hash of what it shows and in which language."""
    # The data are frozen dataclasses of dates, strings and numbers: their repr is stable.
    raw = f"{name}|{DRAWING_VERSION}|{language}|{data!r}"
    return hashlib.sha256(raw.encode()).hexdigest()


def clear_cache() -> None:
    """Forget the PNGs drawn in this process (tests, benchmarks)."""
    _png.clear()


async def chart_png(key: str, draw: Callable[[T], bytes], data: T) -> bytes:
    """The chart's PNG: from this process's cache, or drawn once in a worker thread."""
    if key in _png:
        _png.move_to_end(key)
        return _png[key]
    pending = _drawing.get(key)
    if pending is not None:  # the same chart is being drawn for another chat right now
        return await asyncio.shield(pending)
    future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    _drawing[key] = future
    try:
        png = await asyncio.to_thread(draw, data)
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # retrieved: nobody else may be waiting
        raise
    finally:
        _drawing.pop(key, None)
    future.set_result(png)
    _png[key] = png
    while len(_png) > MAX_CACHED:
        _png.popitem(last=False)
    return png


Send = Callable[[str | bytes], Awaitable[Message]]


async def send_chart(
    session: Callable[[], Any],
    *,
    name: str,
    draw: Callable[[T], bytes],
    data: T,
    send: Send,
) -> Message:
    """Send a chart with `send` (a file_id or PNG bytes): the stored file_id when there is one."""
    key = chart_key(name, data, current_language())
    async with session() as s:
        file_id = await chart_files.chart_file_id(s, key=key)
    if file_id is not None:
        try:
            return await send(file_id)
        except BadRequest as exc:  # Telegram no longer knows the file: upload it again
            log.warning("Stored chart file_id refused (%s); uploading again", exc.message)
            async with session() as s:
                await chart_files.forget_chart_file_id(s, key=key)
    message = await send(await chart_png(key, draw, data))
    if message.photo:
        async with session() as s:
            await chart_files.save_chart_file_id(s, key=key, file_id=message.photo[-1].file_id)
    return message


async def send_exchanges_chart(session: Callable[[], Any], data: Any, send: Send) -> Message:
    """Send the exchanges chart of `data` (kinds.charts.ExchangeChart)."""
    return await send_chart(
        session, name="exchanges", draw=drawing.draw_exchanges, data=data, send=send
    )


async def send_rounds_chart(session: Callable[[], Any], data: Any, send: Send) -> Message:
    """Send the rounds timeline of `data` (kinds.charts.RoundsChart)."""
    return await send_chart(session, name="rounds", draw=drawing.draw_rounds, data=data, send=send)
