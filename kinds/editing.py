"""Editors' corrections and retractions of any kind of fact, and duplicate checks; all audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.audit import snapshot
from kinds.base import FactKind
from kinds.day_order import set_day
from kinds.extras import apply_when
from kinds.registry import spec_for
from kinds.sources import Sources
from kinds.translations import TRANSLATION_KEYS
from kinds.writes import alternative_values, index_fact, load_refs
from store.alternatives import set_alternatives
from store.audit import Actor, record_audit
from store.facts import cite, drop_search_doc
from store.models import AuditEntry, Citation, Draft, Issue, Party, utcnow
from store.notices import queue_notices
from store.queries import sources_for
from store.transfer import IssueIn, PartyIn, SourceIn
from store.translations import set_translations


def kind_of(draft: Draft) -> FactKind:
    """The fact kind of a fact's draft or form (a broadcast's draft has none: ValueError)."""
    if draft.fact_kind is None:
        raise ValueError(f"draft {draft.id} is not about a fact")
    return FactKind(draft.fact_kind)


async def last_change(
    session: AsyncSession, *, kind: FactKind, fact_id: int, lock: bool = False
) -> AuditEntry | None:
    """The fact's newest audit entry; with `lock`, first lock the fact's row until commit.

    The lock makes two Saves of the same fact take turns on PostgreSQL, so the second one
    sees the first one's entry (SQLite has one writer at a time anyway).
    """
    if lock:
        model: Any = spec_for(kind).table
        await session.exec(select(model.id).where(model.id == fact_id).with_for_update())
    return (
        await session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.fact_kind) == kind.value, col(AuditEntry.fact_id) == fact_id)
            .order_by(col(AuditEntry.id).desc())
            .limit(1)
        )
    ).first()


async def find_duplicates(
    session: AsyncSession, *, kind: FactKind, item: Any, exclude_id: int | None = None
) -> list[int]:
    """Ids of live facts of the same kind that say the same as `item` (date and text/numbers)."""
    spec = spec_for(kind)
    model: Any = spec.table
    stmt: Any = select(model).where(col(model.retracted_at).is_(None))
    if exclude_id is not None:
        stmt = stmt.where(col(model.id) != exclude_id)
    return await spec.duplicates(session, item, stmt)


async def ensure_named(
    session: AsyncSession, *, parties: Sequence[PartyIn] = (), issues: Sequence[IssueIn] = ()
) -> None:
    """Create the parties and issues a saved form introduced (existing keys are kept)."""
    for model, items in ((Party, parties), (Issue, issues)):
        for item in items:
            found = (await session.exec(select(model).where(model.key == item.key))).first()
            if found is None:
                session.add(model(key=item.key, name=item.name, aliases=", ".join(item.aliases)))
    await session.flush()


async def _same_sources(
    session: AsyncSession, *, kind: FactKind, fact_id: int, sources: Sequence[str | SourceIn]
) -> bool:
    """True when `sources` are the fact's current citations (name, link and date, in order).

    An edit that leaves the sources as they read keeps its citations (and their titles) as
    they are, instead of re-linking them to whichever stored source has the same name.
    """
    current = (await sources_for(session, kind=kind, fact_ids=[fact_id])).get(fact_id, ())
    wanted = [(s.name, s.url, s.published) for s in sources if isinstance(s, SourceIn)]
    return len(wanted) == len(sources) and wanted == [(c.name, c.url, c.published) for c in current]


async def apply_edit(
    session: AsyncSession,
    *,
    kind: FactKind,
    fact_id: int,
    item: Any,
    new_parties: Sequence[PartyIn] = (),
    new_issues: Sequence[IssueIn] = (),
    actor: Actor,
) -> None:
    """Replace a live fact's content with `item`, keeping its id; audited, not committed."""
    spec = spec_for(kind)
    row: Any = await session.get(spec.table, fact_id)
    if row is None or row.retracted_at is not None:
        raise LookupError("that fact does not exist or is retracted")
    before = await snapshot(session, kind=kind, fact_id=fact_id)
    await ensure_named(session, parties=new_parties, issues=new_issues)
    await spec.apply(session, row, item, await load_refs(session))
    set_day(row, item)
    apply_when(row, item)
    row.language = item.language or "en"
    row.updated_at = utcnow()
    session.add(row)
    sources = Sources(session)
    if not await _same_sources(session, kind=kind, fact_id=fact_id, sources=item.sources):
        await session.exec(
            delete(Citation).where(
                col(Citation.fact_kind) == kind.value, col(Citation.fact_id) == fact_id
            )
        )
        source_ids = [await sources.find(s) for s in item.sources]
        await cite(session, kind=kind, fact_id=fact_id, source_ids=source_ids)
    others = [await sources.find(alt.source) for alt in item.alternatives or ()]
    await set_alternatives(
        session, kind=kind, fact_id=fact_id, values=alternative_values(item, others)
    )
    texts = {
        lang: {k: v for k, v in fields.items() if k in spec.translatable}
        for lang, fields in (item.translations or {}).items()
    }
    await set_translations(session, kind=kind, fact_id=fact_id, texts=texts)
    await session.flush()
    await spec.after_change(session, row)
    await index_fact(session, spec, row)
    after = await snapshot(session, kind=kind, fact_id=fact_id)
    entry = await record_audit(
        session, actor=actor, action="edit", kind=kind, fact_id=fact_id, before=before, after=after
    )
    if _corrected(before, after):  # a translation alone tells no reader of a correction
        await _tell_readers(session, entry)


async def retract_fact(
    session: AsyncSession, *, kind: FactKind, fact_id: int, reason: str, actor: Actor
) -> None:
    """Retract a live fact: hidden from every answer and search, kept with its reason; audited."""
    spec = spec_for(kind)
    row: Any = await session.get(spec.table, fact_id)
    if row is None or row.retracted_at is not None:
        raise LookupError("that fact does not exist or is already retracted")
    before = await snapshot(session, kind=kind, fact_id=fact_id)
    row.retracted_at = dt.datetime.now(dt.UTC)
    row.retraction_reason = reason
    row.updated_at = row.retracted_at
    session.add(row)
    await session.flush()
    await drop_search_doc(session, kind=kind, fact_id=fact_id)
    await spec.after_change(session, row)
    after = await snapshot(session, kind=kind, fact_id=fact_id)
    entry = await record_audit(
        session,
        actor=actor,
        action="retract",
        kind=kind,
        fact_id=fact_id,
        before=before,
        after=after,
        note=reason,
    )
    await _tell_readers(session, entry)


def _corrected(before: dict[str, Any] | None, after: dict[str, Any] | None) -> bool:
    """True when an edit changed more than the fact's translations (or its text's language)."""
    first, second = (
        {k: v for k, v in (s or {}).items() if k not in TRANSLATION_KEYS} for s in (before, after)
    )
    return first != second


async def _tell_readers(session: AsyncSession, entry: AuditEntry) -> None:
    """Queue a notice of this change for every chat that was sent the fact (same transaction)."""
    await session.flush()
    assert entry.id is not None
    await queue_notices(
        session, kind=entry.fact_kind, fact_id=entry.fact_id, audit_id=entry.id, at=entry.at
    )
