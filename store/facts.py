"""Writes of curated facts: each keeps its citations and its search document in step."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import (
    Citation,
    Exchange,
    ExchangeCount,
    FactKind,
    Issue,
    NewsUpdate,
    Party,
    Position,
    SearchDoc,
    TalkRound,
)


def join_list(values: Iterable[str]) -> str:
    """Store a list of short labels as one comma-separated column."""
    return ", ".join(v.strip() for v in values if v.strip())


def split_list(value: str) -> tuple[str, ...]:
    """Read back a comma-separated column as a tuple of labels."""
    return tuple(v.strip() for v in value.split(",") if v.strip())


async def cite(
    session: AsyncSession, *, kind: FactKind, fact_id: int, source_ids: Sequence[int]
) -> None:
    """Attach sources to a fact (each at most once)."""
    for source_id in dict.fromkeys(source_ids):
        session.add(Citation(fact_kind=kind.value, fact_id=fact_id, source_id=source_id))


async def set_search_doc(
    session: AsyncSession, *, kind: FactKind, fact_id: int, fact_date: dt.date, body: str
) -> None:
    """Create or replace the searchable text of a fact."""
    existing = (
        await session.exec(
            select(SearchDoc).where(SearchDoc.fact_kind == kind.value, SearchDoc.fact_id == fact_id)
        )
    ).first()
    if existing is None:
        session.add(
            SearchDoc(fact_kind=kind.value, fact_id=fact_id, fact_date=fact_date, body=body)
        )
    else:
        existing.fact_date = fact_date
        existing.body = body
        session.add(existing)


async def search_body(session: AsyncSession, *, kind: FactKind, row: Any) -> tuple[dt.date, str]:
    """The date and the searchable words of a fact, names of parties and issues included."""
    if kind is FactKind.UPDATE:
        return row.date, " ".join([row.headline, row.summary, row.tags])
    if kind is FactKind.POSITION:
        party = await session.get(Party, row.party_id)
        issue = await session.get(Issue, row.issue_id)
        names = [x for t in (party, issue) if t is not None for x in (t.name, t.aliases)]
        return row.as_of, " ".join([*names, row.stance])
    if kind is FactKind.EXCHANGE:
        parties = await session.exec(
            select(Party.name)
            .join(ExchangeCount, col(ExchangeCount.party_id) == col(Party.id))
            .where(ExchangeCount.exchange_id == row.id)
        )
        words = ["prisoner exchange swap", row.status, *parties, row.categories]
        return row.date, " ".join(filter(None, [*words, row.mediator, row.note]))
    heads = " ".join(
        f"{d.get('party', '')} {d.get('head') or ''}" for d in json.loads(row.delegations)
    )
    words = [row.title, "talks round", row.place, row.venue, row.mediator, heads, row.duration]
    return row.date, " ".join(filter(None, [*words, row.outcome]))


async def index_fact(session: AsyncSession, *, kind: FactKind, row: Any) -> None:
    """Create or refresh the search document of a live fact (after flush, so it has an id)."""
    fact_date, body = await search_body(session, kind=kind, row=row)
    await set_search_doc(session, kind=kind, fact_id=row.id, fact_date=fact_date, body=body)


async def drop_search_doc(session: AsyncSession, *, kind: FactKind, fact_id: int) -> None:
    """Remove a fact from search (used when it is retracted)."""
    await session.exec(
        delete(SearchDoc).where(
            col(SearchDoc.fact_kind) == kind.value, col(SearchDoc.fact_id) == fact_id
        )
    )


async def _add_fact(
    session: AsyncSession,
    kind: FactKind,
    row: Any,
    *,
    source_ids: Sequence[int],
    created_at: dt.datetime | None,
    index: bool = True,
) -> None:
    """Insert a fact row, then its citations and (unless told not to yet) its search document."""
    if created_at is not None:
        row.created_at = row.updated_at = created_at
    session.add(row)
    await session.flush()
    assert row.id is not None
    await cite(session, kind=kind, fact_id=row.id, source_ids=source_ids)
    if index:
        await index_fact(session, kind=kind, row=row)


async def create_round(
    session: AsyncSession,
    *,
    date: dt.date,
    place: str,
    title: str = "",
    end_date: dt.date | None = None,
    venue: str | None = None,
    mediator: str | None = None,
    delegations: Sequence[tuple[str, str | None]] = (),
    duration: str | None = None,
    duration_minutes: int | None = None,
    outcome: str = "",
    source_ids: Sequence[int] = (),
    key: str | None = None,
    created_at: dt.datetime | None = None,
) -> TalkRound:
    """Store a round of talks; `delegations` pairs a party name with its head of delegation."""
    row = TalkRound(
        key=key,
        date=date,
        end_date=end_date,
        title=title,
        place=place,
        venue=venue,
        mediator=mediator,
        delegations=json.dumps([{"party": p, "head": h} for p, h in delegations]),
        duration=duration,
        duration_minutes=duration_minutes,
        outcome=outcome,
    )
    await _add_fact(session, FactKind.ROUND, row, source_ids=source_ids, created_at=created_at)
    return row


async def create_update(
    session: AsyncSession,
    *,
    date: dt.date,
    headline: str,
    summary: str = "",
    tags: Sequence[str] = (),
    round_id: int | None = None,
    source_ids: Sequence[int] = (),
    key: str | None = None,
    created_at: dt.datetime | None = None,
) -> NewsUpdate:
    """Store a news update with its sources."""
    row = NewsUpdate(
        key=key,
        date=date,
        headline=headline,
        summary=summary,
        tags=join_list(tags),
        round_id=round_id,
    )
    await _add_fact(session, FactKind.UPDATE, row, source_ids=source_ids, created_at=created_at)
    return row


async def relink_positions(session: AsyncSession, *, party_id: int, issue_id: int) -> None:
    """Chain one party's live stances on one issue by date: each is superseded by the next."""
    rows = (
        await session.exec(
            select(Position)
            .where(
                Position.party_id == party_id,
                Position.issue_id == issue_id,
                col(Position.retracted_at).is_(None),
            )
            .order_by(col(Position.as_of), col(Position.id))
        )
    ).all()
    for older, newer in pairwise(rows):
        if older.superseded_by_id != newer.id:
            older.superseded_by_id = newer.id
            session.add(older)
    if rows and rows[-1].superseded_by_id is not None:
        rows[-1].superseded_by_id = None
        session.add(rows[-1])


async def create_position(
    session: AsyncSession,
    *,
    party: Party,
    issue: Issue,
    stance: str,
    as_of: dt.date,
    source_ids: Sequence[int] = (),
    key: str | None = None,
    created_at: dt.datetime | None = None,
) -> Position:
    """Store a stance; older stances of the party on the issue become superseded, not replaced."""
    assert party.id is not None and issue.id is not None
    row = Position(key=key, party_id=party.id, issue_id=issue.id, stance=stance, as_of=as_of)
    await _add_fact(session, FactKind.POSITION, row, source_ids=source_ids, created_at=created_at)
    await relink_positions(session, party_id=party.id, issue_id=issue.id)
    return row


async def create_exchange(
    session: AsyncSession,
    *,
    date: dt.date,
    returned: Sequence[tuple[Party, int | None]],
    status: str,
    end_date: dt.date | None = None,
    categories: Sequence[str] = (),
    mediator: str | None = None,
    round_id: int | None = None,
    note: str | None = None,
    source_ids: Sequence[int] = (),
    key: str | None = None,
    created_at: dt.datetime | None = None,
) -> Exchange:
    """Store a prisoner exchange and how many people each party got back."""
    row = Exchange(
        key=key,
        date=date,
        end_date=end_date,
        categories=join_list(categories),
        mediator=mediator,
        status=status,
        round_id=round_id,
        note=note,
    )
    # Indexed once the counts exist: the search text names the parties.
    await _add_fact(
        session, FactKind.EXCHANGE, row, source_ids=source_ids, created_at=created_at, index=False
    )
    assert row.id is not None
    for party, count in returned:
        assert party.id is not None
        session.add(ExchangeCount(exchange_id=row.id, party_id=party.id, returned=count))
    await index_fact(session, kind=FactKind.EXCHANGE, row=row)
    return row
