"""The site as an aiohttp application: routes, error pages and security headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from core.i18n import _, using_language
from core.settings import Settings
from web import atom, charts, pages
from web.caching import vary_language
from web.language import LANGUAGE_KEY, choose_language
from web.serving import SITE, Problem, SessionSource, Site, cached
from web.templating import code_version, make_environment, preload

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error_page(request: web.Request, status: int, message: str) -> web.Response:
    site = request.app[SITE]
    language = choose_language(request)
    html = site.env.get_template("error.html").render(
        root=site.settings.web_prefix,
        here=request.path,
        status=status,
        message=message,
        lang=language.code,
        keep=f"?{language.query}" if language.explicit else "",  # links keep ?lang= as pages do
    )
    response = web.Response(status=status, text=html, content_type="text/html", charset="utf-8")
    # Not kept by caches: a 503 passes, and a missing fact may be added the next minute.
    response.headers["Cache-Control"] = "no-store"
    if not language.explicit:
        vary_language(response)
    return response


@web.middleware
async def _language(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Serve the request in the language of `?lang=`, else of the Accept-Language header."""
    language = choose_language(request)
    request[LANGUAGE_KEY] = language
    with using_language(language.code):
        return await handler(request)


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bad input and missing facts get a short page; a database problem a 503, logged."""
    try:
        return await handler(request)
    except Problem as problem:
        return _error_page(request, problem.status, problem.message)
    except web.HTTPNotFound:
        return _error_page(request, 404, _("There is no such page."))
    except (SQLAlchemyError, OSError) as exc:
        log.warning("A web page failed: %s: %s", type(exc).__name__, str(exc)[:200])
        return _error_page(
            request, 503, _("The facts cannot be read just now; try again in a moment.")
        )


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    site = request.app[SITE]
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'sha256-{site.env.globals['css_hash']}'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"


def make_site(sessions: SessionSource, settings: Settings) -> web.Application:
    """The pages and feeds, to mount under WEB_PREFIX (see `mount_site`)."""
    env = make_environment()
    preload(env)
    site = web.Application(middlewares=[_language, _errors])
    site[SITE] = Site(sessions=sessions, settings=settings, env=env, version=code_version())
    site.on_response_prepare.append(_security_headers)
    routes = (
        ("/", pages.latest_page),
        ("/positions", pages.positions_page),
        ("/exchanges", pages.exchanges_page),
        ("/rounds", pages.rounds_page),
        ("/fact/{ref}", pages.fact_page),
        ("/feed.atom", atom.updates_feed),
        ("/corrections.atom", atom.corrections_feed),
    )
    for path, page in routes:
        # The feeds stay in the facts' own language (and English words): one feed for everyone.
        site.router.add_get(path, cached(page, localized=not path.endswith(".atom")))
    # Charts are cached by their own data (ETag: its hash), not by the store's last change.
    site.router.add_get("/charts/exchanges-{year}.png", charts.exchanges_png)
    site.router.add_get("/charts/rounds.png", charts.rounds_png)
    return site


def mount_site(parent: web.Application, sessions: SessionSource, settings: Settings) -> None:
    """Serve the pages under WEB_PREFIX of `parent` (the prefix alone redirects to it + '/')."""
    prefix = settings.web_prefix

    async def to_root(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(prefix + "/")

    parent.router.add_get(prefix, to_root)
    parent.add_subapp(prefix, make_site(sessions, settings))
