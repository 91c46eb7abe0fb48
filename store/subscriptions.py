"""Subscribers' briefing settings: subscribe, unsubscribe, on/off flags, interests, channels.

A subscription belongs to a chat and a forum topic (`thread_id`; 0 is the chat itself), so each
topic of a group may have its own.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
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
    thread_id: int = 0,
    interests: str | None = None,
    keep_interests: bool = True,
) -> Subscriber:
    """Subscribe a chat or topic (or resume it) at a local time in a zone; other settings kept.

    `interests` replaces what it follows unless it is None and `keep_interests` is set.
    """
    await record_chat(
        session,
        chat_id=chat_id,
        chat_type=chat_type,
        language_code=language_code,
        thread_id=thread_id,
    )
    row = await session.get(Subscriber, (chat_id, thread_id))
    assert row is not None
    row.subscribed = True
    row.active = True
    row.failures = 0
    row.briefing_time = at
    row.timezone = zone
    if interests is not None or not keep_interests:
        row.interests = interests or None
    session.add(row)
    await session.commit()
    return row


async def unsubscribe(session: AsyncSession, *, chat_id: int, thread_id: int = 0) -> bool:
    """Stop briefings, keeping time, zone and quiet mode; False if it was not subscribed."""
    row = await session.get(Subscriber, (chat_id, thread_id))
    if row is None or not row.subscribed:
        return False
    row.subscribed = False
    session.add(row)
    await session.commit()
    return True


# The on/off settings of a subscription that /settings and its buttons change, by column.
FLAGS = frozenset({"quiet", "notices"})


async def set_flag(
    session: AsyncSession, *, chat_id: int, flag: str, on: bool, thread_id: int = 0
) -> Subscriber | None:
    """Turn one of FLAGS (quiet mode, correction notices) on or off for a chat or topic; commits.

    None when the chat (or topic) has no subscription row; ValueError for a name not in FLAGS.
    """
    if flag not in FLAGS:
        raise ValueError(f"not a subscriber flag: {flag!r}")
    row = await session.get(Subscriber, (chat_id, thread_id))
    if row is None:
        return None
    setattr(row, flag, on)
    session.add(row)
    await session.commit()
    return row


async def set_interests(
    session: AsyncSession, *, chat_id: int, interests: str | None, thread_id: int = 0
) -> Subscriber | None:
    """Follow only these issues and kinds (comma-separated keys), or everything (None)."""
    row = await session.get(Subscriber, (chat_id, thread_id))
    if row is None:
        return None
    row.interests = interests or None
    session.add(row)
    await session.commit()
    return row


async def delivered(session: AsyncSession, *, chat_id: int, key: str, thread_id: int = 0) -> bool:
    """True when the ledger holds a delivery for this chat, topic and key (today's briefing)."""
    row = await session.exec(
        select(Delivery.id).where(
            col(Delivery.chat_id) == chat_id,
            col(Delivery.thread_id) == thread_id,
            col(Delivery.key) == key,
        )
    )
    return row.first() is not None


async def connect_channel(
    session: AsyncSession,
    *,
    chat_id: int,
    username: str,
    at: dt.time,
    zone: str,
    news: bool,
    language: str | None = None,
) -> Subscriber:
    """Connect (or reconnect) a channel: its briefing at `at` in `zone`, breaking news if `news`,
    in `language` (None: as before, English at first)."""
    row = await subscribe(
        session, chat_id=chat_id, chat_type="channel", language_code=None, at=at, zone=zone
    )
    row.username = username
    row.news = news
    if language is not None:
        row.language = language
    session.add(row)
    await session.commit()
    return row


async def channels(session: AsyncSession) -> list[Subscriber]:
    """The connected channels, by @name."""
    rows = await session.exec(
        select(Subscriber)
        .where(Subscriber.chat_type == "channel", col(Subscriber.subscribed).is_(True))
        .order_by(col(Subscriber.username))
    )
    return list(rows.all())


async def disconnect_channel(session: AsyncSession, *, username: str) -> Subscriber | None:
    """Stop posting to the connected channel with this @name; None if none is connected."""
    rows = await session.exec(
        select(Subscriber).where(
            Subscriber.chat_type == "channel",
            col(Subscriber.subscribed).is_(True),
            func.lower(col(Subscriber.username)) == username.lower(),
        )
    )
    row = rows.first()
    if row is None:
        return None
    row.subscribed = False
    session.add(row)
    await session.commit()
    return row
