"""Read queries across kinds: facts by public id, full-text search, counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.base import FactKind
from kinds.registry import SPECS, spec_for
from store.queries import page_of, search_hits, search_terms
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


def _refs(raw: Sequence[tuple[str, int]]) -> list[tuple[FactKind, int]]:
    """Known kinds' (kind, id) pairs, each fact once, in order."""
    return list(dict.fromkeys((FactKind(k), i) for k, i in raw if k in _KIND_VALUES))


async def search_facts(
    session: AsyncSession, *, query: str, limit: int, offset: int = 0
) -> Page[tuple[FactKind, Any]]:
    """Full-text search over live facts of every kind: (kind, view), best match first."""
    hits = _refs(await search_hits(session, query=query, limit=limit, offset=offset))
    facts = await facts_by_ref(session, refs=hits)
    found = [(h[0], facts[h]) for h in hits if h in facts]
    return page_of(found, offset=offset, limit=limit)


# Fewer facts than this matching every word: facts matching some of the words follow.
FEW_MATCHES = 3


@dataclass(frozen=True, slots=True)
class SearchResults:
    """One page of search results; where some-word matches begin on it, `partial_from`."""

    page: Page[tuple[FactKind, Any]]
    partial_from: int | None = None  # index into page.items
    all_words: int = 0  # how many facts match every word (when fewer than FEW_MATCHES)


async def search_with_fallback(
    session: AsyncSession, *, query: str, limit: int, offset: int = 0
) -> SearchResults:
    """All words first; when few facts match them all, ranked any-word matches follow."""
    first = _refs(await search_hits(session, query=query, limit=FEW_MATCHES))
    if len(first) >= FEW_MATCHES or len(search_terms(query)) < 2:
        return SearchResults(await search_facts(session, query=query, limit=limit, offset=offset))
    facts = await facts_by_ref(session, refs=first)
    every = [h for h in first if h in facts]
    wanted = offset + limit + len(first)
    some = _refs(await search_hits(session, query=query, limit=wanted, any_word=True))
    combined = every + [h for h in some if h not in set(first)]
    window = combined[offset : offset + limit + 1]
    facts |= await facts_by_ref(session, refs=[h for h in window if h not in facts])
    found = [h for h in window if h in facts]
    page = page_of([(h[0], facts[h]) for h in found], offset=offset, limit=limit)
    # The line between the two kinds of result stands once, on the page where they meet.
    turn = len(every) - offset
    partial_from = turn if 0 <= turn < len(page.items) else None
    return SearchResults(page, partial_from, len(every))


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
