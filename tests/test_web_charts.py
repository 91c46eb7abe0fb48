"""The charts on the web pages: the <img> of the exchanges and rounds pages, its alt text (the
bot's caption in words), and the PNG served from the bot's own chart cache with ETag and 304.

Runs on SQLite and, with TEST_POSTGRES_URL, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any

import pytest
from PIL import Image
from sqlmodel import col, select

import web.charts
from core.dates import format_date
from kinds.charts import exchange_chart, rounds_chart
from render.charts import draw_exchanges
from services import charts as chart_service
from store.models import Party
from tests import factories
from tests.conftest import make_settings
from tests.web_support import WebSite, edit_and_save, serve_site

COMPLETED = dt.date(2025, 5, 24)


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[WebSite]:
    """The seeded bot (one agreed exchange, one round) plus a completed exchange of 2025."""
    chart_service.clear_cache()
    async for website in serve_site(make_settings(database_url)):
        async with website.bot.sessions() as session:
            wanted = select(Party).where(col(Party.key).in_(["ukraine", "russia"]))
            parties = {p.key: p for p in (await session.exec(wanted)).all()}
            await factories.create_exchange(
                session,
                date=COMPLETED,
                returned=[(parties["ukraine"], 307), (parties["russia"], 307)],
                status="completed",
            )
            await session.commit()
        yield website
    chart_service.clear_cache()


class _Images(HTMLParser):
    """Every <img> of a page, as its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))


def images(html: str) -> list[dict[str, str | None]]:
    """The <img> elements of a page."""
    parser = _Images()
    parser.feed(html)
    return parser.images


async def fetch(site: WebSite, path: str, **headers: str) -> tuple[int, bytes, Any]:
    """GET a path under the prefix as bytes: status, body, headers."""
    async with site.client.get(site.prefix + path, headers=headers) as resp:
        return resp.status, await resp.read(), resp.headers


async def test_exchanges_page_shows_the_chart_with_its_totals_in_words(
    site: WebSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[Any] = []

    def counting(data: Any) -> bytes:
        drawn.append(data)
        return draw_exchanges(data)

    monkeypatch.setattr(web.charts, "draw_exchanges", counting)
    reads: list[int] = []

    async def counting_reads(session: Any, *, year: int) -> Any:
        reads.append(year)
        return await exchange_chart(session, year=year)

    monkeypatch.setattr(web.charts, "exchange_chart", counting_reads)
    status, html, _ = await site.get("/exchanges")
    assert status == 200
    # Rendered again for another address, same store: the chart's data are not read again.
    status, again_html, _ = await site.get("/exchanges?r=1")
    assert status == 200 and images(again_html) == images(html) and reads == [2025]
    (img,) = images(html)
    assert img["src"] == "/web/charts/exchanges-2025.png"
    assert (img["width"], img["height"]) == ("1200", "675")
    agreed = format_date(dt.date(2025, 6, 2))
    assert img["alt"] == (
        "Prisoner exchanges in 2025. "
        "1 completed exchange returned 307 people to Russia; 307 people to Ukraine. "
        "No bodies returned in these exchanges. "
        f"1 agreed, not yet carried out: {agreed} (numbers not announced)."
    )
    # The data the chart was drawn from: May's bars, June's agreed mark.
    (data,) = drawn
    assert data.year == 2025 and data.completed == 1
    assert {s.party: s.living[4] for s in data.sides} == {"Russia": 307, "Ukraine": 307}
    assert [(m.date, m.people) for m in data.agreed] == [(dt.date(2025, 6, 2), None)]

    status, png, headers = await fetch(site, "/charts/exchanges-2025.png")
    assert status == 200 and headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.format == "PNG" and image.size == (1200, 675)
    assert len(drawn) == 1, "the page drew it; the image came from the same cache"
    key = chart_service.chart_key("exchanges", data, "en")
    assert headers["ETag"] == f'"{key}"'
    assert headers["Cache-Control"] == "public, no-cache"

    status, body, again = await fetch(
        site, "/charts/exchanges-2025.png", **{"If-None-Match": headers["ETag"]}
    )
    assert (status, body) == (304, b"")
    assert again["ETag"] == headers["ETag"] and len(drawn) == 1


async def test_a_changed_exchange_changes_the_charts_etag(site: WebSite) -> None:
    _, _, before = await fetch(site, "/charts/exchanges-2025.png")
    await edit_and_save(site.editor(), "/edit X1\ndate: 3 June 2025")
    status, png, after = await fetch(
        site, "/charts/exchanges-2025.png", **{"If-None-Match": before["ETag"]}
    )
    assert status == 200 and after["ETag"] != before["ETag"]
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1200, 675)
    _, html, _ = await site.get("/exchanges")
    (img,) = images(html)
    assert f"{format_date(dt.date(2025, 6, 3))} (numbers not announced)." in (img["alt"] or "")


@pytest.mark.parametrize(
    "path",
    [
        "/charts/exchanges-2019.png",  # no exchanges that year
        "/charts/exchanges-0000.png",
        "/charts/exchanges-99999.png",
        "/charts/exchanges-20x5.png",
        "/charts/other.png",
    ],
)
async def test_a_chart_of_an_unknown_year_is_not_found(site: WebSite, path: str) -> None:
    status, body, headers = await fetch(site, path)
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    if "2019" in path:
        assert "No prisoner exchanges on file for 2019." in body.decode()


async def test_rounds_page_shows_the_timeline(site: WebSite) -> None:
    status, html, _ = await site.get("/rounds")
    assert status == 200
    (img,) = images(html)
    assert img["src"] == "/web/charts/rounds.png"
    async with site.bot.sessions() as session:
        data = await rounds_chart(session)
    (round_,) = data.rounds
    day = format_date(round_.date)
    assert img["alt"] == (
        f"Rounds of talks. One round of talks, on {day}. "
        f"Latest: {round_.title} — {round_.place}, {day}."
    )
    status, png, headers = await fetch(site, "/charts/rounds.png")
    assert status == 200 and headers["ETag"] == f'"{chart_service.chart_key("rounds", data, "en")}"'
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (int(img["width"] or 0), int(img["height"] or 0)) == (1200, 350)
    status, body, _ = await fetch(site, "/charts/rounds.png", **{"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")


def test_the_caption_becomes_plain_alt_text() -> None:
    caption = "📊 <b>A &amp; B &lt;x&gt;</b>\nline one.\n⏳ 2 agreed: soon"
    assert web.charts.plain_caption(caption) == "A & B <x>. line one. 2 agreed: soon."
