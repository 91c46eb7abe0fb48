"""Helpers for the web pages' tests: the site on the real bot's store, and reading HTML back."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDict

from core.settings import Settings
from tests.conftest import Chat, Harness, checked_harness
from web.serving import SessionSource
from web.site import mount_site

EDITOR = 42  # in make_settings' ADMIN_IDS


@dataclass
class WebSite:
    """The running bot and an HTTP client of its web pages (mounted as in webhook mode)."""

    bot: Harness
    client: TestClient[web.Request, web.Application]
    settings: Settings

    @property
    def prefix(self) -> str:
        """Where the pages are mounted, e.g. /web."""
        return self.settings.web_prefix

    async def get(self, path: str, **headers: str) -> tuple[int, str, CIMultiDict[str]]:
        """GET prefix + path (or a link's own path): status, body text and headers."""
        url = path if path.startswith(self.prefix + "/") else self.prefix + path
        async with self.client.get(url, headers=headers) as resp:
            return resp.status, await resp.text(), CIMultiDict(resp.headers)

    def editor(self) -> Chat:
        """A private chat with an editor (ADMIN_IDS), to change facts as editors do."""
        return self.bot.chat(EDITOR, user_id=EDITOR)


def sessions_of(harness: Harness) -> SessionSource:
    """The running bot's session factory, as the site asks for it."""
    return lambda: harness.app.bot_data.sessions


async def serve_site(settings: Settings) -> AsyncIterator[WebSite]:
    """The bot on `settings` with the pages mounted on an aiohttp test server."""
    async for harness in checked_harness(settings):
        root = web.Application()
        mount_site(root, sessions_of(harness), settings)
        async with TestClient(TestServer(root)) as client:
            yield WebSite(bot=harness, client=client, settings=settings)


async def edit_and_save(chat: Chat, text: str, label: str = "Save") -> None:
    """Send an editor's /edit or /retract and press its Save (or Retract) button."""
    preview = await chat.ask(text)
    await chat.press(preview, label)


class _Reader(HTMLParser):
    """What a reader sees: text outside <head>, <style> and <script>, and the links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._skip = 0
        self._href: str | None = None
        self._label: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("head", "style", "script"):
            self._skip += 1
        if tag == "a":
            self._href, self._label = dict(attrs).get("href") or "", []
        if tag in ("p", "li", "tr", "h1", "h2", "h3", "dt", "dd", "td", "th", "br", "article"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "script"):
            self._skip -= 1
        if tag == "a" and self._href is not None:
            self.links.append((" ".join("".join(self._label).split()), self._href))
            self._href = None

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)
            if self._href is not None:
                self._label.append(data)


@dataclass
class Page:
    """A page as read: its visible text (one line per block) and its links (label, href)."""

    text: str
    links: list[tuple[str, str]] = field(default_factory=list)

    def link(self, label: str) -> str:
        """The href of the first link whose label contains `label`."""
        for text, href in self.links:
            if label in text:
                return href
        raise AssertionError(f"no link {label!r} in {self.links}")


def read(html: str) -> Page:
    """Parse a page as a reader sees it."""
    reader = _Reader()
    reader.feed(html)
    lines = (" ".join(line.split()) for line in "".join(reader.parts).splitlines())
    return Page(text="\n".join(line for line in lines if line), links=reader.links)


class _Table(HTMLParser):
    """The positions table: for each row, its header and each cell's data-label and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: dict[str, dict[str, str]] = {}
        self._row: str | None = None
        self._cell: str | None = None
        self._text: list[str] = []
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "th":
            self._text = []
        elif self._in_body and tag == "td":
            self._cell, self._text = dict(attrs).get("data-label") or "", []

    def handle_endtag(self, tag: str) -> None:
        text = " ".join("".join(self._text).split())
        if self._in_body and tag == "th":
            self._row = text
            self.rows[text] = {}
        elif tag == "td" and self._cell is not None and self._row is not None:
            self.rows[self._row][self._cell] = text
            self._cell = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        self._text.append(data)


def table_cells(html: str) -> dict[str, dict[str, str]]:
    """The first table body as {row header: {column label: cell text}}."""
    table = _Table()
    table.feed(html)
    return table.rows


def words(text: str) -> str:
    """Collapse whitespace, as a browser shows text."""
    return re.sub(r"\s+", " ", text).strip()
