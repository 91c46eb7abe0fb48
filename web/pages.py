"""The HTML pages: each reads through kinds/ and store/ in the request's one session."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, _
from core.links import fact_path
from kinds.audit import fact_ref, parse_fact_ref, snapshot
from kinds.exchange_totals import exchange_totals
from kinds.exchange_views import list_exchanges
from kinds.full import retracted_links
from kinds.position_views import PositionView, current_positions
from kinds.registry import AnySpec, spec_for
from kinds.round import list_rounds
from kinds.translations import localized_snapshot
from kinds.update import latest_updates
from store.audit import StoreStamp, fact_history
from store.models import AuditEntry
from store.queries import sources_for
from web.charts import exchanges_figure, rounds_figure
from web.present import (
    changes,
    fact_fields,
    fact_title,
    other_values,
    snapshot_data,
    text_lang,
)
from web.serving import Problem, Rendered, Site, no_such_page, page_number, render

LATEST_PAGE = 10
EXCHANGES_PAGE = 10
ROUNDS_PAGE = 20
# Current stances are few (parties × issues); past this the table says it is cut.
POSITIONS_MAX = 1_000
PAST_TENSE = {
    "create": N_("created"),
    "import": N_("published"),
    "edit": N_("corrected"),
    "retract": N_("retracted"),
}


async def latest_page(
    request: web.Request, site: Site, session: AsyncSession, stamp: StoreStamp
) -> Rendered:
    """The newest updates, paged (?page=N), newest first."""
    page = page_number(request)
    found = await latest_updates(session, limit=LATEST_PAGE, offset=(page - 1) * LATEST_PAGE)
    if page > 1 and not found.items:
        raise no_such_page(page)
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


async def exchanges_page(
    request: web.Request, site: Site, session: AsyncSession, stamp: StoreStamp
) -> Rendered:
    """Yearly totals per side and the exchanges, newest first, paged."""
    page = page_number(request)
    found = await list_exchanges(session, limit=EXCHANGES_PAGE, offset=(page - 1) * EXCHANGES_PAGE)
    if page > 1 and not found.items:
        raise no_such_page(page)
    totals = await exchange_totals(session) if page == 1 else []
    return render(
        site,
        request,
        "exchanges.html",
        exchanges=found.items,
        totals=totals,
        page=page,
        has_more=found.has_more,
        chart=await exchanges_figure(site, session, stamp) if page == 1 else None,
    )


async def rounds_page(
    request: web.Request, site: Site, session: AsyncSession, stamp: StoreStamp
) -> Rendered:
    """The rounds of talks as a timeline, newest first, paged."""
    page = page_number(request)
    found = await list_rounds(session, limit=ROUNDS_PAGE, offset=(page - 1) * ROUNDS_PAGE)
    if page > 1 and not found.items:
        raise no_such_page(page)
    return render(
        site,
        request,
        "rounds.html",
        rounds=found.items,
        page=page,
        has_more=found.has_more,
        chart=await rounds_figure(site, session, stamp) if page == 1 and found.items else None,
    )


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """One line of a fact's correction history, as the public page shows it."""

    at: dt.datetime
    verb: str
    changes: list[Any]
    reason: str | None


def _history(entries: list[AuditEntry], spec: AnySpec) -> list[HistoryItem]:
    # Editors' names stay in the audit log (/history): the public page says what and when.
    return [
        HistoryItem(
            at=e.at,
            verb=_(PAST_TENSE.get(e.action, e.action)),
            changes=changes(snapshot_data(e.before), snapshot_data(e.after), spec)
            if e.action == "edit"
            else [],
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
    if text != fact_ref(kind, fact_id):  # /fact/u4, /fact/U04: one address per fact
        path = f"{site.settings.web_prefix}/{fact_path(fact_ref(kind, fact_id))}"
        raise web.HTTPMovedPermanently(request.rel_url.with_path(path).with_query(request.query))
    spec = spec_for(kind)
    shown, marker = localized_snapshot(snap)  # its text in the page's language, where translated
    sources = (await sources_for(session, kind=kind, fact_ids=[fact_id])).get(fact_id, ())
    entries = await fact_history(session, kind=kind, fact_id=fact_id)
    newer = snap.get("superseded_by_id")
    return render(
        site,
        request,
        "fact.html",
        ref=fact_ref(kind, fact_id),
        kind_label=_(spec.label),
        title=fact_title(spec, shown),
        title_lang=next(
            (text_lang(spec, shown, n) for n in ("headline", "title") if shown.get(n)), ""
        ),
        marker=marker,
        fields=fact_fields(spec, shown, await retracted_links(session, snap)),
        others=other_values(spec, snap),
        sources=sources,
        history=_history(entries, spec),
        retracted_at=_stamp_of(snap.get("retracted_at")),
        retraction_reason=snap.get("retraction_reason"),
        kind=kind.value,
        superseded_by=int(newer) if newer else None,
    )


def _stamp_of(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
