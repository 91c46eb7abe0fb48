"""Telegram file ids of charts already uploaded, shared by every replica (table chart_file)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import ChartFile, utcnow


async def chart_file_id(session: AsyncSession, *, key: str) -> str | None:
    """The file_id Telegram gave the chart with this cache key, if it was sent before."""
    row = await session.get(ChartFile, key)
    return row.file_id if row is not None else None


async def save_chart_file_id(session: AsyncSession, *, key: str, file_id: str) -> None:
    """Remember a chart's file_id (the first one stored wins; both work); commits."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = ChartFile.__table__  # type: ignore[attr-defined]
    await session.exec(
        insert(table)
        .values(key=key, file_id=file_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
    )
    await session.commit()


async def forget_chart_file_id(session: AsyncSession, *, key: str) -> None:
    """Drop a file_id Telegram no longer accepts, so the chart is uploaded again; commits."""
    row = await session.get(ChartFile, key)
    if row is not None:
        await session.delete(row)
        await session.commit()
