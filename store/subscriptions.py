"""Subscribers' briefing settings: subscribe, unsubscribe, quiet mode."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Delivery, Subscriber
from store.queries import record_chat


async def subscribe(
    session: AsyncSession,
    *,
    chat_id: int,
    chat_type: str,
    language_code: str | None,
    at: dt.time,
    zone: str,
) -> Subscriber:
    """Subscribe a chat (or resume it) at a local time in a zone; settings are kept otherwise."""
    await record_chat(session, chat_id=chat_id, chat_type=chat_type, language_code=language_code)
    row = await session.get(Subscriber, chat_id)
    assert row is not None
    row.subscribed = True
    row.active = True
    row.failures = 0
    row.briefing_time = at
    row.timezone = zone
    session.add(row)
    await session.commit()
    return row


async def unsubscribe(session: AsyncSession, *, chat_id: int) -> bool:
    """Stop briefings, keeping time, zone and quiet mode; False if it was not subscribed."""
    row = await session.get(Subscriber, chat_id)
    if row is None or not row.subscribed:
        return False
    row.subscribed = False
    session.add(row)
    await session.commit()
    return True


async def set_quiet(session: AsyncSession, *, chat_id: int, quiet: bool) -> Subscriber | None:
    """Switch silent notifications on or off for a chat's briefings."""
    row = await session.get(Subscriber, chat_id)
    if row is None:
        return None
    row.quiet = quiet
    session.add(row)
    await session.commit()
    return row


async def delivered(session: AsyncSession, *, chat_id: int, key: str) -> bool:
    """True when the ledger holds a delivery for this chat and key (e.g. today's briefing)."""
    row = await session.exec(
        select(Delivery.id).where(col(Delivery.chat_id) == chat_id, col(Delivery.key) == key)
    )
    return row.first() is not None
