"""The pages and feeds: each reads through kinds/ and store/ in the request's one session."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from jinja2 import Environment
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, _
from core.links import fact_path
from core.settings import Settings
from kinds.audit import fact_ref, parse_fact_ref, snapshot
from kinds.base import FactKind
from kinds.exchange import exchange_totals, list_exchanges
from kinds.position import PositionView, current_positions
from kinds.registry import spec_for
from kinds.round import list_rounds
from kinds.update import latest_updates
from store.audit import StoreStamp, audit_times, fact_history, recent_audit, store_stamp
from store.db import SessionFactory
from store.models import AuditEntry
from store.queries import sources_for
from web import feeds
from web.caching import etag_for, last_modified, not_modified, set_validators
from web.present import changes, fact_fields, fact_title

log = logging.getLogger(__name__)

LATEST_PAGE = 10
EXCHANGES_PAGE = 10
ROUNDS_PAGE = 20
FEED_ENTRIES = 30
MAX_PAGE = 10_000
# Current stances are few (parties × issues); past this the table says it is cut.
POSITIONS_MAX = 1_000
HTML = "text/html"
# Rendered pages kept per process (the positions table of a large store is ~100 kB).
RENDER_CACHE_ENTRIES = 256
RENDER_CACHE_MAX_BODY = 512 * 1024
PAST_TENSE = {
    "create": N_("created"),
    "import": N_("published"),
    "edit": N_("corrected"),
    "retract": N_("retracted"),
}
FEED_AUTHOR = N_("Peace talks briefing")

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


SITE = web.AppKey("site", Site)


class Problem(Exception):
    """A request the site answers with a short page: 400 bad input, 404 nothing there."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


PageFn = Callable[[web.Request, Site, AsyncSession, StoreStamp], Awaitable[Rendered]]


def cached(fn: PageFn) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Serve a page in one session, answering 304 when the store has not changed since."""

    async def handle(request: web.Request) -> web.StreamResponse:
        site = request.app[SITE]
        sessions = site.sessions()
        if sessions is None:
            raise Problem(503, _("The pages are starting; try again in a moment."))
        async with sessions() as session:
            stamp = await store_stamp(session)
            # Without WEB_BASE_URL, feeds carry links to the host they were asked on.
            variant = "" if site.settings.web_base_url else request.host
            etag = etag_for(stamp, version=site.version, variant=variant)
            modified = last_modified(stamp)
            key = (request.path_qs, etag.value)
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


def render(site: Site, request: web.Request, name: str, **context: Any) -> Rendered:
    """A template rendered with what every page shows (navigation, feed links)."""
    root = site.settings.web_prefix

    def link(kind: str, fact_id: int) -> str:
        return f"{root}/{fact_path(fact_ref(kind, fact_id))}"

    html = site.env.get_template(name).render(
        root=root, here=request.path, link=link, ref_of=fact_ref, **context
    )
    return Rendered(html.encode("utf-8"), HTML)


def page_number(request: web.Request) -> int:
    """The ?page=N of a paged list (1 when absent); a bad value is a 400 with a short reason."""
    raw = request.query.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        raise Problem(400, _("“page” takes a whole number from 1 to {most}.").format(most=MAX_PAGE))
    return int(raw)


def _no_such_page(page: int) -> Problem:
    return Problem(404, _("There is no page {page} of this list.").format(page=page))


async def latest_page(
    request: web.Request, site: Site, session: AsyncSession, stamp: StoreStamp
) -> Rendered:
    """The newest updates, paged (?page=N), newest first."""
    page = page_number(request)
    found = await latest_updates(session, limit=LATEST_PAGE, offset=(page - 1) * LATEST_PAGE)
    if page > 1 and not found.items:
        raise _no_such_page(page)
    return render(
        site, request, "latest.html", updates=found.items, page=page, has_more=found.has_more
    )


async def positions_page(
    request: web.Request, site: Site, session: AsyncSession, stamp: StoreStamp
) -> Rendered:
    """Each party's current stance on each issue: a table, issues down, parties across."""
    found = await current_positions(session, limit=POSITIONS_MAX)
    parties = sorted({p.party for p in found.items}, key=str.casefold)
    issues = list(dict.fromkeys(p.issue for p in found.items))
    grid: dict[tuple[str, str], PositionView] = {(p.issue, p.party): p for p in found.items}
    return render(
        site,
        request,
        "positions.html",
        parties=parties,
        issues=issues,
        grid=grid,
        cut=found.has_more,
    )


def exchanges_chart_url(site: Site) -> str | None:
    """HOOK(charts): the address of the exchanges chart, once render/charts.py serves one.

    At merge, when render/charts.py can draw the exchanges chart as PNG bytes, add a route
    `exchanges.png` in web/site.py that returns them (cached by the chart's data) and return
    f"{site.settings.web_prefix}/exchanges.png" here; exchanges.html already shows the image.
    """
    return None


async def exchanges_page(
    request: web.Request, site: Site, session: AsyncSession, stamp: StoreStamp
) -> Rendered:
    """Yearly totals per side and the exchanges, newest first, paged."""
    page = page_number(request)
    found = await list_exchanges(session, limit=EXCHANGES_PAGE, offset=(page - 1) * EXCHANGES_PAGE)
    if page > 1 and not found.items:
        raise _no_such_page(page)
    totals = await exchange_totals(session) if page == 1 else []
    return render(
        site,
        request,
        "exchanges.html",
        exchanges=found.items,
        totals=totals,
        page=page,
        has_more=found.has_more,
        chart_url=exchanges_chart_url(site),
    )


async def rounds_page(
    request: web.Request, site: Site, session: AsyncSession, stamp: StoreStamp
) -> Rendered:
    """The rounds of talks as a timeline, newest first, paged."""
    page = page_number(request)
    found = await list_rounds(session, limit=ROUNDS_PAGE, offset=(page - 1) * ROUNDS_PAGE)
    if page > 1 and not found.items:
        raise _no_such_page(page)
    return render(
        site, request, "rounds.html", rounds=found.items, page=page, has_more=found.has_more
    )


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One line of a fact's correction history, as the public page shows it."""

    at: dt.datetime
    verb: str
    changes: list[Any]
    reason: str | None


def _snap(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _history(entries: list[AuditEntry]) -> list[HistoryItem]:
    # Editors' names stay in the audit log (/history): the public page says what and when.
    return [
        HistoryItem(
            at=e.at,
            verb=_(PAST_TENSE.get(e.action, e.action)),
            changes=changes(_snap(e.before), _snap(e.after)) if e.action == "edit" else [],
            reason=e.note if e.action == "retract" else None,
        )
        for e in entries
    ]


async def fact_page(
    request: web.Request, site: Site, session: AsyncSession, stamp: StoreStamp
) -> Rendered:
    """One fact: every field, every source, its correction history; retracted ones marked."""
    text = request.match_info["ref"]
    ref = parse_fact_ref(text)
    if ref is None:
        raise Problem(404, _("“{ref}” is not a fact id (such as U12).").format(ref=text[:20]))
    kind, fact_id = ref
    snap = await snapshot(session, kind=kind, fact_id=fact_id)
    if snap is None:
        raise Problem(404, _("There is no fact {ref}.").format(ref=fact_ref(kind, fact_id)))
    spec = spec_for(kind)
    sources = (await sources_for(session, kind=kind, fact_ids=[fact_id])).get(fact_id, ())
    entries = await fact_history(session, kind=kind, fact_id=fact_id)
    newer = snap.get("superseded_by_id")
    return render(
        site,
        request,
        "fact.html",
        ref=fact_ref(kind, fact_id),
        kind_label=_(spec.label),
        title=fact_title(spec, snap),
        fields=fact_fields(spec, snap),
        sources=sources,
        history=_history(entries),
        retracted_at=_stamp_of(snap.get("retracted_at")),
        retraction_reason=snap.get("retraction_reason"),
        kind=kind.value,
        superseded_by=int(newer) if newer else None,
    )


def _stamp_of(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None


# ---------------------------------------------------------------- feeds


def public_base(request: web.Request, settings: Settings) -> str:
    """The pages' public address: WEB_BASE_URL, else where this request came in."""
    if settings.web_base_url:
        return settings.web_base_url
    return f"{request.scheme}://{request.host}{settings.web_prefix}"


def _host(base: str) -> str:
    return base.split("://", 1)[-1].split("/", 1)[0]


def _feed_updated(entries: list[feeds.Entry], stamp: StoreStamp) -> dt.datetime:
    moments = [e.updated for e in entries]
    if stamp.at is not None:
        moments.append(stamp.at)
    return max(moments, default=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))


async def updates_feed(
    request: web.Request, site: Site, session: AsyncSession, stamp: StoreStamp
) -> Rendered:
    """The newest updates as Atom entries; a corrected update keeps its id, updated moves on."""
    base = public_base(request, site.settings)
    found = await latest_updates(session, limit=FEED_ENTRIES)
    times = await audit_times(session, kind=FactKind.UPDATE, fact_ids=[u.id for u in found.items])
    entries = []
    for u in found.items:
        ref = fact_ref(FactKind.UPDATE, u.id)
        first, last = times.get(u.id, (None, None))
        entries.append(
            feeds.Entry(
                id=feeds.tag_uri(_host(base), f"fact:{ref}"),
                title=u.headline,
                updated=last or dt.datetime.combine(u.date, dt.time(), dt.UTC),
                published=first,
                link=f"{base}/{fact_path(ref)}",
                summary=u.summary,
                categories=u.tags,
            )
        )
    feed = feeds.Feed(
        id=feeds.tag_uri(_host(base), "feed:updates"),
        title=_("Peace talks briefing: latest updates"),
        subtitle=_("Dated, sourced updates on the peace talks, newest first."),
        self_url=f"{base}/feed.atom",
        page_url=f"{base}/",
        author=_(FEED_AUTHOR),
        updated=_feed_updated(entries, stamp),
        entries=entries,
    )
    return Rendered(feeds.atom_bytes(feed), feeds.ATOM_TYPE)


def _correction_entry(base: str, entry: AuditEntry) -> feeds.Entry | None:
    try:
        spec = spec_for(entry.fact_kind)
    except ValueError:
        return None
    before, after = _snap(entry.before), _snap(entry.after)
    ref = spec.ref(entry.fact_id)
    title = fact_title(spec, after or before)
    if entry.action == "retract":
        head = _("Retracted {ref}: {title}").format(ref=ref, title=title)
        summary = _("Reason: {reason}").format(reason=entry.note or _("not given"))
    else:
        head = _("Corrected {ref}: {title}").format(ref=ref, title=title)
        summary = "\n".join(
            f"{c.label}: {c.before} → {c.after}" for c in changes(before, after)
        ) or _("Details corrected.")
    return feeds.Entry(
        id=feeds.tag_uri(_host(base), f"fact:{ref}:change:{entry.id}"),
        title=head,
        updated=entry.at,
        published=entry.at,
        link=f"{base}/{fact_path(ref)}",
        summary=summary,
    )


async def corrections_feed(
    request: web.Request, site: Site, session: AsyncSession, stamp: StoreStamp
) -> Rendered:
    """Corrections and retractions, newest first: one entry per change of a fact."""
    base = public_base(request, site.settings)
    rows = await recent_audit(session, actions=("edit", "retract"), limit=FEED_ENTRIES)
    entries = [e for row in rows if (e := _correction_entry(base, row)) is not None]
    feed = feeds.Feed(
        id=feeds.tag_uri(_host(base), "feed:corrections"),
        title=_("Peace talks briefing: corrections and retractions"),
        subtitle=_("Every correction and retraction of a published fact, newest first."),
        self_url=f"{base}/corrections.atom",
        page_url=f"{base}/",
        author=_(FEED_AUTHOR),
        updated=_feed_updated(entries, stamp),
        entries=entries,
    )
    return Rendered(feeds.atom_bytes(feed), feeds.ATOM_TYPE)
