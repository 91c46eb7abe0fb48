"""The web pages in a real headless browser: Debian's chromium driven by Playwright.

JavaScript is switched off: the pages must read without it. `make browser` installs chromium
(CI does); Playwright never downloads a browser of its own here.
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from core.dates import format_date
from kinds.update import latest_updates
from tests.conftest import Harness, checked_harness, make_settings
from tests.support import free_port
from tests.web_support import sessions_of
from web.site import mount_site

if TYPE_CHECKING:
    from playwright.async_api import ViewportSize

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed: run `make browser` as root"
)
PHONE: ViewportSize = {"width": 390, "height": 844}
# Set to a folder to keep the screenshots for a look.
SHOTS = os.environ.get("WEB_SCREENSHOTS")


@dataclass
class LiveSite:
    """The pages served over TCP, as a browser reaches them."""

    url: str
    bot: Harness


@pytest.fixture
async def live_site(database_url: str) -> AsyncIterator[LiveSite]:
    """The seeded bot on SQLite and PostgreSQL, its pages on a local port."""
    settings = make_settings(database_url)
    async for harness in checked_harness(settings):
        root = web.Application()
        mount_site(root, sessions_of(harness), settings)
        runner = web.AppRunner(root)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield LiveSite(url=f"http://127.0.0.1:{port}/web", bot=harness)
        finally:
            await runner.cleanup()


@pytest.fixture
async def phone() -> AsyncIterator[Any]:
    """A page in headless chromium at a phone's size, JavaScript off."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        # As root (CI) chromium refuses to start with its sandbox on.
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = await browser.new_context(
            viewport=PHONE, device_scale_factor=1, java_script_enabled=False
        )
        try:
            yield await context.new_page()
        finally:
            await context.close()
            await browser.close()


def png_facts(png: bytes) -> tuple[int, int, int]:
    """Width, height and how many different pixel rows a PNG has (a blank page has ~1)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, data, width, height, bpp = 8, b"", 0, 0, 4
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            bpp = {2: 3, 6: 4, 0: 1, 4: 2}[colour] * depth // 8
        elif kind == b"IDAT":
            data += body
        pos += 12 + length
    raw = zlib.decompress(data)
    stride = 1 + width * bpp
    # Filtered rows: identical content gives identical bytes (same filter, same pixels).
    rows = {raw[i * stride : (i + 1) * stride] for i in range(height)}
    return width, height, len(rows)


async def check_phone_width(page: Any, name: str, tmp_path: Path) -> None:
    """The page fits a phone's width (no sideways scrolling) and its screenshot shows it."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} scrolls sideways on a phone ({width}px)"
    png = await page.screenshot()
    (Path(SHOTS) if SHOTS else tmp_path).joinpath(f"{name}.png").write_bytes(png)
    shot_width, shot_height, rows = png_facts(png)
    assert (shot_width, shot_height) == (PHONE["width"], PHONE["height"])
    assert rows > 50, f"the screenshot of {name} looks blank ({rows} distinct rows)"


async def test_every_page_reads_on_a_phone(live_site: LiveSite, phone: Any, tmp_path: Path) -> None:
    pages = {
        "latest": ("/", "Latest updates", ["Trump: US may drop its mediator role", "Older →"]),
        "positions": (
            "/positions",
            "Current positions",
            ["NATO and neutrality", "Putin's opening terms", "No stance on file."],
        ),
        "exchanges": (
            "/exchanges",
            "Prisoner exchanges",
            ["Agreed, not yet carried out", "Returned to Ukraine: not announced"],
        ),
        "rounds": (
            "/rounds",
            "Rounds of talks",
            ["Second round of Russia–Ukraine peace talks in Istanbul", "Ciragan Palace"],
        ),
        "fact": ("/fact/R1", "Second round of Russia–Ukraine", ["Venue", "History", "published"]),
    }
    for name, (path, heading, texts) in pages.items():
        response = await phone.goto(live_site.url + path)
        assert response.status == 200, name
        assert heading in await phone.inner_text("h1"), name
        shown = await phone.inner_text("main")
        for text in texts:
            assert text in shown, (name, text)
        assert "Peace talks briefing" in await phone.title()
        await check_phone_width(phone, name, tmp_path)


async def test_a_reader_follows_a_link_from_the_list_to_the_facts_page(
    live_site: LiveSite, phone: Any, tmp_path: Path
) -> None:
    async with live_site.bot.sessions() as session:
        newest = (await latest_updates(session, limit=1)).items[0]
    await phone.goto(live_site.url + "/")
    await phone.click(f"main article h2 a >> text={newest.headline}")
    await phone.wait_for_url(f"**/web/fact/U{newest.id}")
    assert await phone.inner_text("h1") == newest.headline
    fields = await phone.inner_text("dl.fields")
    assert f"Date\n{format_date(newest.date)}" in fields
    assert "Reuters" in await phone.inner_text("main .sources")
    await check_phone_width(phone, "fact-from-list", tmp_path)
    # The navigation leads on without JavaScript.
    await phone.click("nav >> text=Positions")
    await phone.wait_for_url("**/web/positions")
    assert await phone.inner_text("h1") == "Current positions"


async def test_the_exchanges_chart_loads_in_the_browser(
    live_site: LiveSite, phone: Any, tmp_path: Path
) -> None:
    response = await phone.goto(live_site.url + "/exchanges", wait_until="load")
    assert response.status == 200
    chart = phone.locator("main figure.chart img")
    assert await chart.get_attribute("src") == "/web/charts/exchanges-2025.png"
    assert (await chart.get_attribute("alt") or "").startswith("Prisoner exchanges in 2025.")
    # Loaded and decoded by chromium (CSP img-src allows it), scaled down to the phone's width.
    natural = await chart.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
    assert natural == [True, 1200, 675]
    box = await chart.bounding_box()
    assert box is not None and 0 < box["width"] <= PHONE["width"]
    assert abs(box["height"] - box["width"] * 675 / 1200) < 2, "the aspect ratio is kept"
    await check_phone_width(phone, "exchanges-chart", tmp_path)
    await phone.goto(live_site.url + "/rounds", wait_until="load")
    timeline = phone.locator("main figure.chart img")
    assert await timeline.evaluate("img => img.naturalWidth") == 1200


async def test_the_yearly_totals_give_the_numbers_room_on_a_phone(
    live_site: LiveSite, phone: Any, tmp_path: Path
) -> None:
    chat = live_site.bot.chat(42, user_id=42)  # an editor (ADMIN_IDS)
    preview = await chat.ask(
        "/exchange\ndate: 10 June 2025\nreturned: Ukraine 1212, Russia 27\n"
        "source: Reuters https://www.reuters.com/b"
    )
    await chat.press(preview, "Save")
    await phone.goto(live_site.url + "/exchanges")
    year = await phone.locator("main table th[scope=row]").first.bounding_box()
    returned = await phone.locator("main table td").nth(1).bounding_box()
    assert year is not None and returned is not None
    # The year is four digits: the column of numbers takes the room, not the year's.
    assert year["width"] < 100 and returned["width"] > 150, (year, returned)
    await check_phone_width(phone, "exchanges-totals", tmp_path)
