"""Serving a page: one session per request, 304 when nothing changed, a render cache, errors."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from jinja2 import Environment
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import DEFAULT_LANGUAGE, _, current_language, using_language
from core.links import fact_path
from core.settings import Settings
from kinds.audit import fact_ref
from store.audit import StoreStamp, store_stamp
from store.db import SessionFactory
from web.caching import etag_for, last_modified, not_modified, set_validators, vary_language
from web.language import page_language, with_language

MAX_PAGE = 10_000
HTML = "text/html"
# Rendered pages kept per process (the positions table of a large store is ~100 kB).
RENDER_CACHE_ENTRIES = 256
RENDER_CACHE_MAX_BODY = 512 * 1024

SessionSource = Callable[[], SessionFactory | None]


@dataclass(frozen=True, slots=True)
class Rendered:
    """A page or feed body and its media type."""

    body: bytes
    content_type: str


class RenderCache:
    """Pages rendered for a state of the store, by address and ETag: never rendered twice.

    The ETag names the store's last change and the code, so a cached body is exactly what a
    new render would give; a change to any fact makes a new ETag, and old entries age out.
    """

    def __init__(self, entries: int = RENDER_CACHE_ENTRIES) -> None:
        self.entries = entries
        self._pages: OrderedDict[tuple[str, str], Rendered] = OrderedDict()

    def get(self, key: tuple[str, str]) -> Rendered | None:
        """The cached page, if any (and mark it recently used)."""
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
        return page

    def put(self, key: tuple[str, str], page: Rendered) -> None:
        """Keep a page, dropping the least recently used beyond the limit."""
        if len(page.body) > RENDER_CACHE_MAX_BODY:
            return
        self._pages[key] = page
        while len(self._pages) > self.entries:
            self._pages.popitem(last=False)


@dataclass(frozen=True, slots=True)
class Site:
    """What every page needs: the sessions, the settings, the templates, the code's version."""

    sessions: SessionSource
    settings: Settings
    env: Environment
    version: str
    rendered: RenderCache = field(default_factory=RenderCache)
    # The charts' <img> (web/charts.py) per state of the store: a page rendered again for
    # another address (?page=, a query string) reads no chart data.
    figures: OrderedDict[tuple[object, ...], Any] = field(default_factory=OrderedDict)


SITE = web.AppKey("site", Site)


class Problem(Exception):
    """A request the site answers with a short page: 400 bad input, 404 nothing there."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


PageFn = Callable[[web.Request, Site, AsyncSession, StoreStamp], Awaitable[Rendered]]


def cached(
    fn: PageFn, *, localized: bool = True
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Serve a page in one session, answering 304 when the store has not changed since.

    A `localized` page is in the request's language (its ETag names it, and a page the browser's
    Accept-Language chose says it varies by it); the others are in English for everyone.
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        if localized:
            response = await serve(request)
            if not page_language(request).explicit:
                vary_language(response)
            return response
        with using_language(DEFAULT_LANGUAGE):
            return await serve(request)

    async def serve(request: web.Request) -> web.StreamResponse:
        site = request.app[SITE]
        async with session_factory(site)() as session:
            stamp = await store_stamp(session)
            # Without WEB_BASE_URL, feeds carry links to the host they were asked on.
            host = "" if site.settings.web_base_url else request.host
            variant = f"{host}|{current_language()}"
            etag = etag_for(stamp, version=site.version, variant=variant)
            modified = last_modified(stamp)
            key = (request.path_qs, etag.value)  # the ETag names the language
            if not_modified(request, etag, modified):
                response = web.Response(status=304)
            else:
                page = site.rendered.get(key)
                if page is None:
                    page = await fn(request, site, session, stamp)
                    site.rendered.put(key, page)
                response = web.Response(body=page.body, content_type=page.content_type)
                if page.content_type == HTML:
                    response.charset = "utf-8"
        set_validators(response, etag, modified)
        return response

    return handle


def session_factory(site: Site) -> SessionFactory:
    """The store's sessions; a 503 with a short reason while the bot is still starting."""
    sessions = site.sessions()
    if sessions is None:
        raise Problem(503, _("The pages are starting; try again in a moment."))
    return sessions


def render(site: Site, request: web.Request, name: str, **context: Any) -> Rendered:
    """A template rendered with what every page shows (navigation, feed links)."""
    root = site.settings.web_prefix
    language = page_language(request)
    keep = f"?{language.query}" if language.explicit else ""

    def link(kind: str, fact_id: int) -> str:
        return f"{root}/{fact_path(fact_ref(kind, fact_id))}{keep}"

    def url(path: str) -> str:
        return with_language(path, language)

    html = site.env.get_template(name).render(
        root=root,
        here=request.path,
        link=link,
        url=url,
        keep=keep,
        lang=language.code,
        ref_of=fact_ref,
        **context,
    )
    return Rendered(html.encode("utf-8"), HTML)


def page_number(request: web.Request) -> int:
    """The ?page=N of a paged list (1 when absent); a bad value is a 400 with a short reason."""
    raw = request.query.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        raise Problem(400, _("“page” takes a whole number from 1 to {most}.").format(most=MAX_PAGE))
    return int(raw)


def no_such_page(page: int) -> Problem:
    """The 404 of a page number past the end of a list."""
    return Problem(404, _("There is no page {page} of this list.").format(page=page))
