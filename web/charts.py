"""The bot's charts as PNG images of the pages: the same data, drawing and cache as /exchanges
chart and /rounds chart (services/charts.py), with the data hash as ETag."""

from __future__ import annotations

import html
import re
import struct
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from aiohttp import web
from aiohttp.helpers import ETag
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import DEFAULT_LANGUAGE, _, current_language, using_language
from kinds.charts import (
    ExchangeChart,
    RoundsChart,
    exchange_chart,
    latest_exchange_year,
    rounds_chart,
)
from render.charts import draw_exchanges, draw_rounds, exchanges_caption, rounds_caption
from services.charts import chart_key, chart_png
from store.audit import StoreStamp
from web.caching import not_modified, set_validators
from web.language import page_language
from web.serving import SITE, Problem, Site, session_factory

T = TypeVar("T")
PNG = "image/png"
MIN_YEAR, MAX_YEAR = 1900, 2100  # as /exchanges chart YEAR accepts
FIGURES_KEPT = 16
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class Figure:
    """A chart as a page shows it: its address, size in pixels and its totals in words."""

    url: str
    width: int
    height: int
    alt: str


def exchanges_url(site: Site, year: int) -> str:
    """The address of one year's exchanges chart."""
    return _in_language(f"{site.settings.web_prefix}/charts/exchanges-{year}.png")


def rounds_url(site: Site) -> str:
    """The address of the rounds timeline."""
    return _in_language(f"{site.settings.web_prefix}/charts/rounds.png")


def _in_language(url: str) -> str:
    # The picture's words follow the page's language: its address names it (cached per address).
    language = current_language()
    return url if language == DEFAULT_LANGUAGE else f"{url}?lang={language}"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its header (IHDR is always the first chunk)."""
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def plain_caption(caption: str) -> str:
    """A chart's Telegram caption (HTML, with pictographs) as one line of alt text."""
    lines = []
    for line in caption.splitlines():
        text = _TAG.sub("", line)  # Telegram's HTML: tags only, "<" and ">" in text escaped
        text = "".join(c for c in html.unescape(text) if unicodedata.category(c) != "So")
        text = " ".join(text.split())
        if text:
            lines.append(text if text[-1] in ".:!?" else text + ".")
    return " ".join(lines)


async def _figure(name: str, draw: Callable[[T], bytes], data: T, url: str, caption: str) -> Figure:
    # Drawn (or taken from the cache) now to know its size: the reader's browser asks for it next.
    png = await chart_png(chart_key(name, data, current_language()), draw, data)
    width, height = png_size(png)
    return Figure(url=url, width=width, height=height, alt=plain_caption(caption))


async def _remembered(
    site: Site, name: str, stamp: StoreStamp, make: Callable[[], Awaitable[Figure | None]]
) -> Figure | None:
    """A page's figure for this state of the store (the stamp names the newest change)."""
    key = (name, stamp.last_id, stamp.at, current_language())
    if key in site.figures:
        site.figures.move_to_end(key)
        return cast(Figure | None, site.figures[key])
    figure = await make()
    site.figures[key] = figure
    while len(site.figures) > FIGURES_KEPT:
        site.figures.popitem(last=False)
    return figure


async def exchanges_figure(site: Site, session: AsyncSession, stamp: StoreStamp) -> Figure | None:
    """The chart of the latest year with exchanges, for the exchanges page (None: none yet)."""
    return await _remembered(site, "exchanges", stamp, lambda: _exchanges_figure(site, session))


async def rounds_figure(site: Site, session: AsyncSession, stamp: StoreStamp) -> Figure | None:
    """The rounds timeline, for the rounds page (None: no rounds yet)."""
    return await _remembered(site, "rounds", stamp, lambda: _rounds_figure(site, session))


async def _exchanges_figure(site: Site, session: AsyncSession) -> Figure | None:
    year = await latest_exchange_year(session)
    if year is None:
        return None
    data = await exchange_chart(session, year=year)
    if not (data.completed or data.agreed):
        return None
    return await _figure(
        "exchanges", draw_exchanges, data, exchanges_url(site, year), exchanges_caption(data)
    )


async def _rounds_figure(site: Site, session: AsyncSession) -> Figure | None:
    data = await rounds_chart(session)
    if not data.rounds:
        return None
    return await _figure("rounds", draw_rounds, data, rounds_url(site), rounds_caption(data))


async def _serve(
    request: web.Request, name: str, draw: Callable[[T], bytes], data: T
) -> web.Response:
    """The PNG, or a 304 when the reader's copy shows the same data (ETag: the data hash).

    Its words are in the language its address names (`?lang=`, as the pages link it), else in
    English: a picture does not vary by the reader's headers.
    """
    language = page_language(request)
    with using_language(language.code if language.explicit else DEFAULT_LANGUAGE):
        key = chart_key(name, data, current_language())
        etag = ETag(value=key)
        if not_modified(request, etag, None):
            response = web.Response(status=304)
        else:
            response = web.Response(body=await chart_png(key, draw, data), content_type=PNG)
    set_validators(response, etag, None)
    return response


async def exchanges_png(request: web.Request) -> web.StreamResponse:
    """GET charts/exchanges-YEAR.png: that year's exchanges chart; 404 for a year without any."""
    raw = request.match_info["year"]
    year = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Problem(404, _("There is no such page."))
    async with session_factory(request.app[SITE])() as session:
        data: ExchangeChart = await exchange_chart(session, year=year)
    if not (data.completed or data.agreed):
        raise Problem(404, _("No prisoner exchanges on file for {year}.").format(year=year))
    return await _serve(request, "exchanges", draw_exchanges, data)


async def rounds_png(request: web.Request) -> web.StreamResponse:
    """GET charts/rounds.png: the rounds of talks on a timeline; 404 while there are none."""
    async with session_factory(request.app[SITE])() as session:
        data: RoundsChart = await rounds_chart(session)
    if not data.rounds:
        raise Problem(404, _("No rounds of talks on file yet."))
    return await _serve(request, "rounds", draw_rounds, data)
