"""Correction notices: which chats got a fact, the notices queued for them, which are due.

A briefing's delivery records the facts it carried (delivered_fact, written with the ledger's
marks). A correction or retraction queues one notice per chat that got the fact, keyed by the
hour it was made in (notice:YYYY-MM-DDTHH, UTC); once that hour is over, each chat's notices of
the hour go out as one message through the delivery ledger, whose (chat, topic, key) row makes
it once. "Chat" here is a subscriber: a chat and a forum topic in it (thread 0: the chat itself),
each with its own briefings, messages and notices setting.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, func, literal, or_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import SessionFactory
from store.ledger import Recipient, Target
from store.models import (
    AuditEntry,
    CorrectionNotice,
    DeliveredFact,
    Delivery,
    DeliveryStatus,
    Subscriber,
    UTCDateTime,
)

NOTICE_WINDOW = dt.timedelta(hours=24)  # a notice not sent within a day is dropped
# How long the facts each chat was sent are remembered: a correction of a fact sent longer ago
# tells nobody (the record grows by one row per fact per briefed chat).
REMEMBER = dt.timedelta(days=30)
BATCH = 500


def notice_key(at: dt.datetime) -> str:
    """The ledger key of the notices made in `at`'s hour (UTC): they go out as one message."""
    return f"notice:{at.astimezone(dt.UTC):%Y-%m-%dT%H}"


async def queue_notices(
    session: AsyncSession, *, kind: str, fact_id: int, audit_id: int, at: dt.datetime
) -> None:
    """Queue a notice of one correction for every chat that was sent the fact and wants notices
    (no commit); one that turns them off before it goes is not sent it either."""
    table = CorrectionNotice.__table__  # type: ignore[attr-defined]
    chats = (
        sa_select(
            col(DeliveredFact.chat_id),
            col(DeliveredFact.thread_id),
            literal(notice_key(at)),
            literal(audit_id),
            literal(kind),
            literal(fact_id),
            literal(at, UTCDateTime()),
        )
        .join(Subscriber, _subscriber_of(DeliveredFact))
        # Readers who turned notices off are not told of what changes meanwhile, even later.
        .where(
            col(DeliveredFact.fact_kind) == kind,
            col(DeliveredFact.fact_id) == fact_id,
            col(Subscriber.notices).is_(True),
        )
        .distinct()
    )
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).from_select(
        ["chat_id", "thread_id", "key", "audit_id", "fact_kind", "fact_id", "created_at"], chats
    )
    await session.exec(
        stmt.on_conflict_do_nothing(index_elements=["chat_id", "thread_id", "audit_id"])
    )


def _subscriber_of(model: Any) -> Any:
    """The subscription (chat and forum topic) a delivered fact or a notice belongs to."""
    return and_(
        col(Subscriber.chat_id) == model.chat_id, col(Subscriber.thread_id) == model.thread_id
    )


def _wants_notices() -> Any:
    return and_(
        col(Subscriber.notices).is_(True),
        col(Subscriber.subscribed).is_(True),
        col(Subscriber.active).is_(True),
    )


async def recipients(session: AsyncSession, *, kind: str, fact_id: int) -> int:
    """How many chats and forum topics were sent this fact and would be told of it now."""
    told = (
        select(col(DeliveredFact.chat_id), col(DeliveredFact.thread_id))
        .join(Subscriber, _subscriber_of(DeliveredFact))
        .where(
            col(DeliveredFact.fact_kind) == kind,
            col(DeliveredFact.fact_id) == fact_id,
            _wants_notices(),
        )
        .distinct()
        .subquery()
    )
    n = await session.exec(select(func.count()).select_from(told))
    return int(n.one())


async def due_notices(
    sessions: SessionFactory,
    *,
    now: dt.datetime,
    after: Recipient | None = None,
    batch: int = BATCH,
) -> list[tuple[Target, str]]:
    """Chats and topics (after `after`, by chat and topic) with notices of a finished hour not
    yet sent: each with the key of its earliest such hour (a later hour goes on the next pass)."""
    sent = exists().where(
        col(Delivery.chat_id) == col(CorrectionNotice.chat_id),
        col(Delivery.thread_id) == col(CorrectionNotice.thread_id),
        col(Delivery.key) == col(CorrectionNotice.key),
        col(Delivery.status) != DeliveryStatus.RETRY.value,
    )
    stmt = (
        select(Subscriber, func.min(col(CorrectionNotice.key)))
        .join(CorrectionNotice, _subscriber_of(CorrectionNotice))
        .where(
            col(CorrectionNotice.key) < notice_key(now),
            col(CorrectionNotice.created_at) >= now - NOTICE_WINDOW,
            _wants_notices(),
            ~sent,
        )
        .group_by(col(Subscriber.chat_id), col(Subscriber.thread_id))
        .order_by(col(Subscriber.chat_id), col(Subscriber.thread_id))
        .limit(batch)
    )
    if after is not None:
        stmt = stmt.where(
            or_(
                col(Subscriber.chat_id) > after[0],
                and_(col(Subscriber.chat_id) == after[0], col(Subscriber.thread_id) > after[1]),
            )
        )
    async with sessions() as session:
        pairs = (await session.exec(stmt)).all()
    return [
        (
            Target(
                sub.chat_id,
                sub.quiet,
                sub.timezone,
                sub.briefing_time,
                sub.last_briefing_at,
                language=sub.language or sub.language_code,
                thread_id=sub.thread_id,
            ),
            key,
        )
        for sub, key in pairs
    ]


@dataclass(frozen=True, slots=True)
class NoticeItem:
    """One corrected or retracted fact a chat is told of: its first and last state in the hour,
    the delivery it was sent in (ledger key) and the message that carried it."""

    kind: str
    fact_id: int
    action: str
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str | None
    sent_in: str | None
    message_id: int | None


def _loads(raw: str | None) -> dict[str, Any]:
    value = json.loads(raw) if raw else {}
    return value if isinstance(value, dict) else {}


async def notice_items(
    session: AsyncSession, *, chat_id: int, key: str, thread_id: int = 0
) -> list[NoticeItem]:
    """The facts one chat's (or topic's) notice message of one hour is about, in the order
    they changed; each with the message of that topic that carried it."""
    rows = (
        await session.exec(
            select(CorrectionNotice, AuditEntry)
            .join(AuditEntry, col(AuditEntry.id) == col(CorrectionNotice.audit_id))
            .where(
                col(CorrectionNotice.chat_id) == chat_id,
                col(CorrectionNotice.thread_id) == thread_id,
                col(CorrectionNotice.key) == key,
            )
            .order_by(col(AuditEntry.id))
        )
    ).all()
    grouped: dict[tuple[str, int], list[tuple[CorrectionNotice, AuditEntry]]] = {}
    for notice, entry in rows:
        grouped.setdefault((notice.fact_kind, notice.fact_id), []).append((notice, entry))
    if not grouped:
        return []
    delivered = (
        await session.exec(
            select(DeliveredFact)
            .where(
                col(DeliveredFact.chat_id) == chat_id,
                col(DeliveredFact.thread_id) == thread_id,
                or_(
                    *(
                        and_(col(DeliveredFact.fact_kind) == k, col(DeliveredFact.fact_id) == i)
                        for k, i in grouped
                    )
                ),
            )
            .order_by(col(DeliveredFact.sent_at), col(DeliveredFact.id))
        )
    ).all()
    items = []
    for (kind, fact_id), entries in grouped.items():
        first, last = entries[0][1], entries[-1][1]
        # The latest delivery of the fact before it was changed: the reader's wrong copy.
        copies = [
            d
            for d in delivered
            if (d.fact_kind, d.fact_id) == (kind, fact_id) and d.sent_at <= first.at
        ]
        copy = copies[-1] if copies else None
        items.append(
            NoticeItem(
                kind=kind,
                fact_id=fact_id,
                action=last.action,
                before=_loads(first.before),
                after=_loads(last.after),
                reason=last.note if last.action == "retract" else None,
                sent_in=copy.key if copy else None,
                message_id=copy.message_id if copy else None,
            )
        )
    return items


async def forget_old(sessions: SessionFactory, *, now: dt.datetime) -> None:
    """Drop what was sent before REMEMBER and notices past NOTICE_WINDOW (bounded growth)."""
    async with sessions() as session:
        await session.exec(delete(DeliveredFact).where(col(DeliveredFact.sent_at) < now - REMEMBER))
        await session.exec(
            delete(CorrectionNotice).where(
                col(CorrectionNotice.created_at) < now - NOTICE_WINDOW - dt.timedelta(hours=1)
            )
        )
        await session.commit()
