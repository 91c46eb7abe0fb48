"""Writes any kind of fact shares: its citations and its search document."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Citation, SearchDoc

_GROUPED_NUMBER = re.compile(r"(?<!\d)\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?!\d)")


def searchable(body: str) -> str:
    """The text to index: numbers written with separators ("1,000") also as typed ("1000")."""
    plain = [re.sub(r"\D", "", m.group(0)) for m in _GROUPED_NUMBER.finditer(body)]
    return body + ("\n" + " ".join(dict.fromkeys(plain)) if plain else "")


def join_list(values: Iterable[str]) -> str:
    """Store a list of short labels as one comma-separated column."""
    return ", ".join(v.strip() for v in values if v.strip())


def split_list(value: str) -> tuple[str, ...]:
    """Read back a comma-separated column as a tuple of labels."""
    return tuple(v.strip() for v in value.split(",") if v.strip())


async def cite(
    session: AsyncSession, *, kind: str, fact_id: int, source_ids: Sequence[int]
) -> None:
    """Attach sources to a fact (each at most once)."""
    for source_id in dict.fromkeys(source_ids):
        session.add(Citation(fact_kind=str(kind), fact_id=fact_id, source_id=source_id))


async def set_search_doc(
    session: AsyncSession, *, kind: str, fact_id: int, fact_date: dt.date, body: str
) -> None:
    """Create or replace the searchable text of a fact."""
    body = searchable(body)
    existing = (
        await session.exec(
            select(SearchDoc).where(SearchDoc.fact_kind == str(kind), SearchDoc.fact_id == fact_id)
        )
    ).first()
    if existing is None:
        session.add(SearchDoc(fact_kind=str(kind), fact_id=fact_id, fact_date=fact_date, body=body))
    else:
        existing.fact_date = fact_date
        existing.body = body
        session.add(existing)


async def drop_search_doc(session: AsyncSession, *, kind: str, fact_id: int) -> None:
    """Remove a fact from search (used when it is retracted)."""
    await session.exec(
        delete(SearchDoc).where(
            col(SearchDoc.fact_kind) == str(kind), col(SearchDoc.fact_id) == fact_id
        )
    )
