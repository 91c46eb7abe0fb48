"""Editors' changes to facts: duplicates, edits and retractions, each audited."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store import facts as writes
from store.audit import Actor, record_audit, snapshot
from store.models import (
    FACT_TABLES,
    Citation,
    Exchange,
    ExchangeCount,
    FactKind,
    Issue,
    NewsUpdate,
    Party,
    Position,
    Source,
    TalkRound,
    utcnow,
)
from store.queries import sources_for
from store.transfer import (
    AnyFactIn,
    ExchangeIn,
    IssueIn,
    PartyIn,
    PositionIn,
    SourceIn,
    UpdateIn,
)

# ---------------------------------------------------------------- duplicates


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


async def find_duplicates(
    session: AsyncSession, *, kind: FactKind, item: AnyFactIn, exclude_id: int | None = None
) -> list[int]:
    """Ids of live facts of the same kind, date and text/numbers as `item`."""
    model: Any = FACT_TABLES[kind]
    stmt: Any = select(model).where(col(model.retracted_at).is_(None))
    if exclude_id is not None:
        stmt = stmt.where(col(model.id) != exclude_id)
    if isinstance(item, UpdateIn):
        rows = (await session.exec(stmt.where(NewsUpdate.date == item.date))).all()
        return [r.id for r in rows if _same_text(r.headline, item.headline)]
    if isinstance(item, PositionIn):
        party = (await session.exec(select(Party).where(Party.key == item.party))).first()
        issue = (await session.exec(select(Issue).where(Issue.key == item.issue))).first()
        if party is None or issue is None:
            return []
        rows = (
            await session.exec(
                stmt.where(
                    Position.party_id == party.id,
                    Position.issue_id == issue.id,
                    Position.as_of == item.as_of,
                )
            )
        ).all()
        return [r.id for r in rows if _same_text(r.stance, item.stance)]
    if isinstance(item, ExchangeIn):
        rows = (await session.exec(stmt.where(Exchange.date == item.date))).all()
        found = []
        for r in rows:
            counts = await session.exec(
                select(Party.key, ExchangeCount.returned)
                .join(ExchangeCount, col(ExchangeCount.party_id) == col(Party.id))
                .where(ExchangeCount.exchange_id == r.id)
            )
            if dict(counts.all()) == item.returned:
                found.append(r.id)
        return found
    rows = (await session.exec(stmt.where(TalkRound.date == item.date))).all()
    return [r.id for r in rows if _same_text(r.place, item.place)]


# ---------------------------------------------------------------- edits and retractions


async def _ensure_named(
    session: AsyncSession, model: Any, items: Sequence[PartyIn | IssueIn]
) -> None:
    for item in items:
        found = (await session.exec(select(model).where(model.key == item.key))).first()
        if found is None:
            session.add(model(key=item.key, name=item.name, aliases=", ".join(item.aliases)))
    await session.flush()


async def _source_id(session: AsyncSession, src: str | SourceIn) -> int:
    if isinstance(src, str):
        row = (await session.exec(select(Source).where(Source.key == src))).first()
        if row is None or row.id is None:
            raise LookupError(f"unknown source {src!r}")
        return row.id
    stmt = select(Source).where(Source.name == src.name)
    stmt = stmt.where(Source.url == src.url if src.url else col(Source.url).is_(None))
    # Two sources may share a name and link and differ by date (the identity is all three).
    stmt = stmt.where(
        Source.published == src.published if src.published else col(Source.published).is_(None)
    )
    found = (await session.exec(stmt)).first()
    if found is not None and found.id is not None:
        return found.id
    row = Source(name=src.name, url=src.url, title=src.title, published=src.published)
    session.add(row)
    await session.flush()
    assert row.id is not None
    return row.id


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


async def _party(session: AsyncSession, key: str) -> Party:
    row = (await session.exec(select(Party).where(Party.key == key))).one()
    return row


async def apply_edit(
    session: AsyncSession,
    *,
    kind: FactKind,
    fact_id: int,
    item: AnyFactIn,
    new_parties: Sequence[PartyIn] = (),
    new_issues: Sequence[IssueIn] = (),
    actor: Actor,
) -> None:
    """Replace a live fact's content with `item`, keeping its id; audited, not committed."""
    row: Any = await session.get(FACT_TABLES[kind], fact_id)
    if row is None or row.retracted_at is not None:
        raise LookupError("that fact does not exist or is retracted")
    before = await snapshot(session, kind=kind, fact_id=fact_id)
    await _ensure_named(session, Party, new_parties)
    await _ensure_named(session, Issue, new_issues)
    relink: set[tuple[int, int]] = set()
    if isinstance(item, UpdateIn):
        row.date, row.headline, row.summary = item.date, item.headline, item.summary
        row.tags = writes.join_list(item.tags)
    elif isinstance(item, PositionIn):
        relink.add((row.party_id, row.issue_id))
        party = await _party(session, item.party)
        issue = (await session.exec(select(Issue).where(Issue.key == item.issue))).one()
        row.party_id, row.issue_id = party.id, issue.id
        row.stance, row.as_of = item.stance, item.as_of
        relink.add((row.party_id, row.issue_id))
    elif isinstance(item, ExchangeIn):
        row.date, row.end_date, row.status = item.date, item.end_date, item.status
        row.categories = writes.join_list(item.categories)
        row.mediator, row.note = item.mediator, item.note
        await session.exec(delete(ExchangeCount).where(col(ExchangeCount.exchange_id) == fact_id))
        for key, count in item.returned.items():
            party = await _party(session, key)
            assert party.id is not None
            session.add(ExchangeCount(exchange_id=fact_id, party_id=party.id, returned=count))
    else:
        row.date, row.end_date, row.title = item.date, item.end_date, item.title
        row.place, row.venue, row.mediator = item.place, item.venue, item.mediator
        row.delegations = json.dumps([d.model_dump() for d in item.delegations])
        row.duration, row.outcome = item.duration, item.outcome
    row.updated_at = utcnow()
    session.add(row)
    if not await _same_sources(session, kind=kind, fact_id=fact_id, sources=item.sources):
        await session.exec(
            delete(Citation).where(
                col(Citation.fact_kind) == kind.value, col(Citation.fact_id) == fact_id
            )
        )
        source_ids = [await _source_id(session, s) for s in item.sources]
        await writes.cite(session, kind=kind, fact_id=fact_id, source_ids=source_ids)
    await session.flush()
    for party_id, issue_id in relink:
        await writes.relink_positions(session, party_id=party_id, issue_id=issue_id)
    await writes.index_fact(session, kind=kind, row=row)
    after = await snapshot(session, kind=kind, fact_id=fact_id)
    await record_audit(
        session, actor=actor, action="edit", kind=kind, fact_id=fact_id, before=before, after=after
    )


async def retract_fact(
    session: AsyncSession, *, kind: FactKind, fact_id: int, reason: str, actor: Actor
) -> None:
    """Retract a live fact: hidden from every answer and search, kept with its reason; audited."""
    row: Any = await session.get(FACT_TABLES[kind], fact_id)
    if row is None or row.retracted_at is not None:
        raise LookupError("that fact does not exist or is already retracted")
    before = await snapshot(session, kind=kind, fact_id=fact_id)
    row.retracted_at = dt.datetime.now(dt.UTC)
    row.retraction_reason = reason
    row.updated_at = row.retracted_at
    session.add(row)
    await session.flush()
    await writes.drop_search_doc(session, kind=kind, fact_id=fact_id)
    if kind is FactKind.POSITION:
        await writes.relink_positions(session, party_id=row.party_id, issue_id=row.issue_id)
    after = await snapshot(session, kind=kind, fact_id=fact_id)
    await record_audit(
        session,
        actor=actor,
        action="retract",
        kind=kind,
        fact_id=fact_id,
        before=before,
        after=after,
        note=reason,
    )
