"""Read queries across kinds: facts by public id, full-text search, counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.base import FactKind
from kinds.registry import SPECS, spec_for
from store.queries import page_of, search_hits
from store.recent import latest_hits
from store.views import Page

_KIND_VALUES = frozenset(kind.value for kind in FactKind)


async def facts_by_ref(
    session: AsyncSession, *, refs: Sequence[tuple[FactKind, int]]
) -> dict[tuple[FactKind, int], Any]:
    """Load live facts of mixed kinds by (kind, id), one query per kind present."""
    wanted: dict[FactKind, list[int]] = defaultdict(list)
    for kind, fact_id in refs:
        wanted[kind].append(fact_id)
    found: dict[tuple[FactKind, int], Any] = {}
    for kind, ids in wanted.items():
        for view in await spec_for(kind).load(session, ids):
            found[(kind, view.id)] = view
    return found


async def search_facts(
    session: AsyncSession, *, query: str, limit: int, offset: int = 0
) -> Page[tuple[FactKind, Any]]:
    """Full-text search over live facts of every kind: (kind, view), best match first."""
    raw = await search_hits(session, query=query, limit=limit, offset=offset)
    hits = [(FactKind(kind), fact_id) for kind, fact_id in raw if kind in _KIND_VALUES]
    facts = await facts_by_ref(session, refs=hits)
    found = [(h[0], facts[h]) for h in hits if h in facts]
    return page_of(found, offset=offset, limit=limit)


async def latest_facts(
    session: AsyncSession, *, limit: int, offset: int = 0
) -> Page[tuple[FactKind, Any]]:
    """The newest live facts of every kind: (kind, view), newest first."""
    raw = await latest_hits(session, limit=limit, offset=offset)
    refs = [(FactKind(kind), fact_id) for kind, fact_id in raw if kind in _KIND_VALUES]
    facts = await facts_by_ref(session, refs=refs)
    found = [(r[0], facts[r]) for r in refs if r in facts]
    return page_of(found, offset=offset, limit=limit)


async def count_facts(session: AsyncSession) -> dict[FactKind, int]:
    """How many live facts of each kind the store holds."""
    counts: dict[FactKind, int] = {}
    for spec in SPECS:
        model: Any = spec.table
        n = await session.exec(
            select(func.count()).select_from(model).where(col(model.retracted_at).is_(None))
        )
        counts[spec.kind] = int(n.one())
    return counts
