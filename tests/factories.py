"""Store facts directly in tests, through the same writer imports and editors use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.base import Refs
from kinds.exchange import SPEC as EXCHANGE
from kinds.exchange import ExchangeIn
from kinds.position import SPEC as POSITION
from kinds.position import PositionIn
from kinds.round import SPEC as ROUND
from kinds.round import DelegationIn, RoundIn
from kinds.update import SPEC as UPDATE
from kinds.update import UpdateIn
from kinds.writes import add_fact, load_refs
from store.models import Issue, Party


async def _add(
    session: AsyncSession, spec: Any, item: Any, source_ids: Sequence[int], refs: Refs | None
) -> Any:
    refs = refs or await load_refs(session)
    row = await add_fact(session, spec, item, refs=refs, source_ids=source_ids)
    for link in refs.later:
        await link()
    assert not refs.errors, refs.errors
    assert row is not None, "a test fact refers to something that is not stored"
    return row


async def create_update(
    session: AsyncSession,
    *,
    date: dt.date,
    headline: str,
    summary: str = "",
    tags: Sequence[str] = (),
    source_ids: Sequence[int] = (),
    key: str | None = None,
    created_at: dt.datetime | None = None,
) -> Any:
    """Store a news update."""
    # Built without validation: tests also store what editors could not (over-long texts).
    item = UpdateIn.model_construct(
        sources=[],
        key=key,
        date=date,
        headline=headline,
        summary=summary,
        tags=list(tags),
        created_at=created_at,
    )
    return await _add(session, UPDATE, item, source_ids, Refs())


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
    supersedes: Sequence[str] = (),
) -> Any:
    """Store a stance; it supersedes the stances named in `supersedes` (keys or P ids)."""
    item = PositionIn.model_construct(
        sources=[],
        key=key,
        supersedes=list(supersedes),
        party=party.key,
        issue=issue.key,
        stance=stance,
        as_of=as_of,
        created_at=created_at,
    )
    refs = Refs(parties={party.key: party}, issues={issue.key: issue})
    return await _add(session, POSITION, item, source_ids, refs)


async def create_exchange(
    session: AsyncSession,
    *,
    date: dt.date,
    returned: Sequence[tuple[Party, int | dict[str, int] | None]],
    status: str,
    end_date: dt.date | None = None,
    categories: Sequence[str] = (),
    mediator: str | None = None,
    note: str | None = None,
    source_ids: Sequence[int] = (),
    key: str | None = None,
    created_at: dt.datetime | None = None,
) -> Any:
    """Store a prisoner exchange and how many people each party got back (a number, None, or
    a range as the import format writes it: {"low": 900, "best": 1000, "high": 1100})."""
    item = ExchangeIn.model_validate(
        {
            "sources": ["test"],  # a placeholder for validation; source_ids are cited
            "key": key,
            "date": date,
            "end_date": end_date,
            "returned": {p.key: n for p, n in returned},
            "categories": list(categories),
            "mediator": mediator,
            "status": status,
            "note": note,
            "created_at": created_at,
        }
    )
    item.sources = []
    refs = Refs(parties={p.key: p for p, _ in returned})
    return await _add(session, EXCHANGE, item, source_ids, refs)


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
) -> Any:
    """Store a round of talks; `delegations` pairs a party name with its head of delegation."""
    item = RoundIn.model_construct(
        sources=[],
        key=key,
        date=date,
        place=place,
        title=title,
        end_date=end_date,
        venue=venue,
        mediator=mediator,
        delegations=[DelegationIn(party=p, head=h) for p, h in delegations],
        duration=duration,
        duration_minutes=duration_minutes,
        outcome=outcome,
        created_at=created_at,
    )
    return await _add(session, ROUND, item, source_ids, Refs())
