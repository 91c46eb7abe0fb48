"""The newest facts of every kind, from the search index (which holds one row per live fact)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import SearchDoc


async def latest_hits(
    session: AsyncSession, *, limit: int, offset: int = 0
) -> list[tuple[str, int]]:
    """(kind, id) of the newest facts by their date, newest stored first on ties; limit+1 rows."""
    rows = await session.exec(
        select(SearchDoc.fact_kind, SearchDoc.fact_id)
        .order_by(col(SearchDoc.fact_date).desc(), col(SearchDoc.id).desc())
        .offset(offset)
        .limit(limit + 1)
    )
    return [(str(kind), int(fact_id)) for kind, fact_id in rows.all()]
