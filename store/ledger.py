"""The delivery ledger: claims that make each briefing or broadcast reach a chat at most once."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import SessionFactory
from store.models import (
    Broadcast,
    Delivery,
    DeliveryRun,
    DeliveryStatus,
    Subscriber,
    utcnow,
)

BATCH = 500
# A claim older than its lease (DELIVERY_LEASE) may be taken over if it was never sent; a
# `sending` row past its lease becomes "unknown" (Telegram may have delivered it) for good.
BLOCKED_AFTER = 2


@dataclass(frozen=True, slots=True)
class Target:
    """A chat to deliver to, with what composing its message needs."""

    chat_id: int
    quiet: bool
    timezone: str | None
    briefing_time: dt.time | None
    last_briefing_at: dt.datetime | None


async def stream_subscribers(
    sessions: SessionFactory,
    *,
    slot: tuple[dt.time, str] | None = None,
    batch: int = BATCH,
) -> AsyncIterator[list[Target]]:
    """Subscribed, active chats in batches by chat id (keyset paging keeps memory flat)."""
    after: int | None = None
    while True:
        async with sessions() as session:
            stmt = select(Subscriber).where(
                col(Subscriber.subscribed).is_(True), col(Subscriber.active).is_(True)
            )
            if slot is not None:
                stmt = stmt.where(
                    Subscriber.briefing_time == slot[0], Subscriber.timezone == slot[1]
                )
            if after is not None:
                stmt = stmt.where(Subscriber.chat_id > after)
            rows = (await session.exec(stmt.order_by(col(Subscriber.chat_id)).limit(batch))).all()
            targets = [
                Target(r.chat_id, r.quiet, r.timezone, r.briefing_time, r.last_briefing_at)
                for r in rows
            ]
        if not targets:
            return
        yield targets
        after = targets[-1].chat_id


async def start_run(sessions: SessionFactory, *, kind: str, worker: str) -> int:
    """Record the start of a delivery run; returns its id."""
    async with sessions() as session:
        run = DeliveryRun(kind=kind, worker=worker)
        session.add(run)
        await session.commit()
        assert run.id is not None
        return run.id


async def finish_run(
    sessions: SessionFactory, *, run_id: int, sent: int, failed: int, blocked: int, unknown: int
) -> None:
    """Record a run's end and counts."""
    async with sessions() as session:
        await session.exec(
            update(DeliveryRun)
            .where(col(DeliveryRun.id) == run_id)
            .values(
                finished_at=utcnow(), sent=sent, failed=failed, blocked=blocked, unknown=unknown
            )
        )
        await session.commit()


async def expire_stale_claims(sessions: SessionFactory, *, now: dt.datetime) -> int:
    """Free claims whose process died before sending; mark interrupted sends as unknown.

    Returns how many sends were found in doubt.
    """
    async with sessions() as session:
        await session.exec(
            delete(Delivery).where(
                col(Delivery.status) == DeliveryStatus.CLAIMED.value,
                col(Delivery.lease_until) < now,
            )
        )
        doubt = await session.exec(
            update(Delivery)
            .where(
                col(Delivery.status) == DeliveryStatus.SENDING.value,
                col(Delivery.lease_until) < now,
            )
            .values(status=DeliveryStatus.UNKNOWN.value, error="interrupted while sending")
        )
        await session.commit()
        return int(doubt.rowcount or 0)


async def claim(
    sessions: SessionFactory,
    *,
    chat_ids: Sequence[int],
    key_of: dict[int, str],
    worker: str,
    run_id: int,
    now: dt.datetime,
    lease: dt.timedelta,
) -> set[int]:
    """Claim deliveries for chats; returns the chats this worker won (others were taken)."""
    if not chat_ids:
        return set()
    async with sessions() as session:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        rows = [
            {
                "chat_id": chat_id,
                "key": key_of[chat_id],
                "status": DeliveryStatus.CLAIMED.value,
                "claimed_by": worker,
                "lease_until": now + lease,
                "attempts": 0,
                "created_at": now,
                "run_id": run_id,
            }
            for chat_id in chat_ids
        ]
        stmt = (
            insert(Delivery)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["chat_id", "key"])
            .returning(Delivery.__table__.c.chat_id)  # type: ignore[attr-defined]
        )
        won = {int(r[0]) for r in (await session.exec(stmt)).all()}
        await session.commit()
        return won


async def mark_sending(
    sessions: SessionFactory,
    *,
    chat_id: int,
    key: str,
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta,
) -> bool:
    """Move this worker's claim to `sending` just before the first message goes out."""
    async with sessions() as session:
        result = await session.exec(
            update(Delivery)
            .where(
                col(Delivery.chat_id) == chat_id,
                col(Delivery.key) == key,
                col(Delivery.status) == DeliveryStatus.CLAIMED.value,
                col(Delivery.claimed_by) == worker,
            )
            .values(
                status=DeliveryStatus.SENDING.value,
                lease_until=now + lease,
                attempts=Delivery.attempts + 1,
            )
        )
        await session.commit()
        return bool(result.rowcount)


async def mark_done(
    sessions: SessionFactory,
    *,
    chat_id: int,
    key: str,
    status: DeliveryStatus,
    error: str | None = None,
    briefed_until: dt.datetime | None = None,
) -> None:
    """Record the outcome of a send and update the subscriber (briefed, or one more refusal)."""
    now = utcnow()
    async with sessions() as session:
        await session.exec(
            update(Delivery)
            .where(col(Delivery.chat_id) == chat_id, col(Delivery.key) == key)
            .values(
                status=status.value,
                error=error,
                sent_at=now if status is DeliveryStatus.SENT else None,
            )
        )
        if status is DeliveryStatus.SENT:
            values: dict[str, object] = {"failures": 0}
            if briefed_until is not None:
                values["last_briefing_at"] = briefed_until
            await session.exec(
                update(Subscriber).where(col(Subscriber.chat_id) == chat_id).values(**values)
            )
        elif status is DeliveryStatus.BLOCKED:
            await session.exec(
                update(Subscriber)
                .where(col(Subscriber.chat_id) == chat_id)
                .values(failures=Subscriber.failures + 1)
            )
            # Telegram's 403 can be passing (a user who unblocks at once); act when it persists.
            await session.exec(
                update(Subscriber)
                .where(
                    col(Subscriber.chat_id) == chat_id, col(Subscriber.failures) >= BLOCKED_AFTER
                )
                .values(active=False)
            )
        await session.commit()


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one delivery ended, for `write_marks`."""

    chat_id: int
    key: str
    status: DeliveryStatus
    error: str | None = None


async def write_marks(
    sessions: SessionFactory,
    *,
    sending: Sequence[tuple[int, str]],
    done: Sequence[Outcome],
    worker: str,
    now: dt.datetime,
    lease: dt.timedelta,
    briefed_until: dt.datetime | None = None,
) -> set[tuple[int, str]]:
    """`mark_done` for each of `done` and `mark_sending` for each (chat, key), in one commit.

    Set-based: a few statements per call, whatever the number of rows. Returns the (chat, key)
    pairs this worker moved to `sending`; the others were not claimed by it (send nothing).
    """
    delivery = Delivery.__table__  # type: ignore[attr-defined]
    subscriber = Subscriber.__table__  # type: ignore[attr-defined]
    moved: set[tuple[int, str]] = set()
    async with sessions() as session:
        conn = await session.connection()
        if done:
            await conn.execute(
                update(delivery)
                .where(
                    delivery.c.chat_id == bindparam("b_chat_id"),
                    delivery.c.key == bindparam("b_key"),
                )
                .values(
                    status=bindparam("b_status"),
                    error=bindparam("b_error"),
                    sent_at=bindparam("b_sent_at", type_=delivery.c.sent_at.type),
                ),
                [
                    {
                        "b_chat_id": o.chat_id,
                        "b_key": o.key,
                        "b_status": o.status.value,
                        "b_error": o.error,
                        "b_sent_at": now if o.status is DeliveryStatus.SENT else None,
                    }
                    for o in done
                ],
            )
            sent = [o.chat_id for o in done if o.status is DeliveryStatus.SENT]
            if sent:
                values: dict[str, object] = {"failures": 0}
                if briefed_until is not None:
                    values["last_briefing_at"] = briefed_until
                await conn.execute(
                    update(subscriber).where(subscriber.c.chat_id.in_(sent)).values(**values)
                )
            blocked = [o.chat_id for o in done if o.status is DeliveryStatus.BLOCKED]
            if blocked:
                await conn.execute(
                    update(subscriber)
                    .where(subscriber.c.chat_id.in_(blocked))
                    .values(failures=subscriber.c.failures + 1)
                )
                # Telegram's 403 can be passing (a user who unblocks at once); act if it persists.
                await conn.execute(
                    update(subscriber)
                    .where(
                        subscriber.c.chat_id.in_(blocked),
                        subscriber.c.failures >= BLOCKED_AFTER,
                    )
                    .values(active=False)
                )
        by_key: dict[str, list[int]] = {}
        for chat_id, key in sending:
            by_key.setdefault(key, []).append(chat_id)
        for key, chat_ids in by_key.items():
            rows = await conn.execute(
                update(delivery)
                .where(
                    delivery.c.key == key,
                    delivery.c.chat_id.in_(chat_ids),
                    delivery.c.status == DeliveryStatus.CLAIMED.value,
                    delivery.c.claimed_by == worker,
                )
                .values(
                    status=DeliveryStatus.SENDING.value,
                    lease_until=now + lease,
                    attempts=delivery.c.attempts + 1,
                )
                .returning(delivery.c.chat_id)
            )
            moved.update((int(r[0]), key) for r in rows.all())
        await session.commit()
    return moved


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
    return Stats(int(counts.get(True, 0)), int(counts.get(False, 0)), chats, last)
