"""The Atom feeds of updates and of corrections and retractions, with absolute links."""

from __future__ import annotations

import datetime as dt

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from core.dates import format_date
from core.i18n import N_, _, ngettext
from core.links import fact_path
from core.settings import Settings
from kinds.audit import fact_ref
from kinds.base import FactKind
from kinds.extras import when_text
from kinds.registry import spec_for
from kinds.update import UpdateView, latest_updates
from store.audit import StoreStamp, audit_times, recent_audit
from store.models import AuditEntry
from web import feeds
from web.present import changes, fact_title, snapshot_data
from web.serving import Rendered, Site

FEED_ENTRIES = 30
FEED_AUTHOR = N_("Peace talks briefing")


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


def _dated_summary(u: UpdateView) -> str:
    # A feed reader shows when the entry was published, not when the event happened: say it,
    # and who reported it, as the pages do.
    when = when_text(u.date, u.extras)
    lines = [f"{when} — {u.summary}" if u.summary else when]
    if u.sources:
        cited = [
            ", ".join(
                part
                for part in (
                    s.name,
                    f"“{s.title}”" if s.title else "",
                    format_date(s.published) if s.published else "",
                    s.url or "",
                )
                if part
            )
            for s in u.sources
        ]
        lines.append(ngettext("Source:", "Sources:", len(cited)) + " " + "; ".join(cited))
    return "\n".join(lines)


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
                summary=_dated_summary(u),
                categories=u.tags,
                language=u.extras.language,
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
    before, after = snapshot_data(entry.before), snapshot_data(entry.after)
    ref = spec.ref(entry.fact_id)
    title = fact_title(spec, after or before)
    if entry.action == "retract":
        head = _("Retracted {ref}: {title}").format(ref=ref, title=title)
        summary = _("Reason: {reason}").format(reason=entry.note or _("not given"))
    else:
        head = _("Corrected {ref}: {title}").format(ref=ref, title=title)
        summary = "\n".join(
            f"{c.label}: {c.before} → {c.after}" for c in changes(before, after, spec)
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
