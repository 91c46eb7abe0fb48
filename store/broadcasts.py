"""Broadcasts (breaking news to every subscriber) and the delivery figures /stats shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import SessionFactory
from store.models import Broadcast, DeliveryRun, Subscriber, utcnow


async def unfinished_broadcasts(sessions: SessionFactory) -> list[Broadcast]:
    """Broadcasts whose sending has not finished (interrupted, or waiting for retries)."""
    async with sessions() as session:
        rows = await session.exec(
            select(Broadcast)
            .where(col(Broadcast.finished_at).is_(None))
            .order_by(col(Broadcast.id))
        )
        return list(rows.all())


async def finish_broadcast(sessions: SessionFactory, *, broadcast_id: int) -> None:
    """Record that a broadcast reached everyone it could."""
    async with sessions() as session:
        await session.exec(
            update(Broadcast)
            .where(col(Broadcast.id) == broadcast_id)
            .where(col(Broadcast.finished_at).is_(None))
            .values(finished_at=utcnow())
        )
        await session.commit()


async def create_broadcast(session: AsyncSession, *, text: str, created_by: int | None) -> int:
    """Store a broadcast's text; returns its id (the ledger key is broadcast:ID)."""
    row = Broadcast(text=text, created_by=created_by)
    session.add(row)
    await session.commit()
    assert row.id is not None
    return row.id


@dataclass(frozen=True, slots=True)
class Stats:
    """Subscriber counts and the last briefing run, for /stats."""

    subscribed_active: int
    subscribed_inactive: int
    chats: int
    last_run: DeliveryRun | None
    news_recipients: int = 0  # subscribed, reachable chats and topics that take breaking news


async def delivery_stats(session: AsyncSession) -> Stats:
    """How many chats are subscribed and reachable, and how the last briefing run went."""
    counts = dict(
        (
            await session.exec(
                select(Subscriber.active, func.count())
                .where(col(Subscriber.subscribed).is_(True))
                .group_by(col(Subscriber.active))
            )
        ).all()
    )
    chats = int((await session.exec(select(func.count()).select_from(Subscriber))).one())
    last = (
        await session.exec(
            select(DeliveryRun)
            .where(DeliveryRun.kind == "briefing", col(DeliveryRun.finished_at).is_not(None))
            .order_by(col(DeliveryRun.id).desc())
            .limit(1)
        )
    ).first()
    news = (
        await session.exec(
            select(func.count())
            .select_from(Subscriber)
            .where(
                col(Subscriber.subscribed).is_(True),
                col(Subscriber.active).is_(True),
                col(Subscriber.news).is_(True),
            )
        )
    ).one()
    return Stats(int(counts.get(True, 0)), int(counts.get(False, 0)), chats, last, int(news))
