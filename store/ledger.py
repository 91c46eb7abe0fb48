"""The delivery ledger: claims that make each briefing or broadcast reach a chat at most once."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, or_, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement
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
# A dead run's rows are taken over at once (see `recover`); the lease (DELIVERY_LEASE) is the
# backstop for a holder whose liveness cannot be told.
BLOCKED_AFTER = 2


@dataclass(frozen=True, slots=True)
class Target:
    """A chat to deliver to, with what composing its message needs."""

    chat_id: int
    quiet: bool
    timezone: str | None
    briefing_time: dt.time | None
    last_briefing_at: dt.datetime | None


async def subscriber_page(
    sessions: SessionFactory,
    *,
    after: int | None,
    slot: tuple[dt.time, str] | None = None,
    batch: int = BATCH,
) -> list[Target]:
    """Up to `batch` subscribed, active chats with ids above `after`, by chat id."""
    async with sessions() as session:
        stmt = select(Subscriber).where(
            col(Subscriber.subscribed).is_(True), col(Subscriber.active).is_(True)
        )
        if slot is not None:
            stmt = stmt.where(Subscriber.briefing_time == slot[0], Subscriber.timezone == slot[1])
        if after is not None:
            stmt = stmt.where(Subscriber.chat_id > after)
        rows = (await session.exec(stmt.order_by(col(Subscriber.chat_id)).limit(batch))).all()
        return [
            Target(r.chat_id, r.quiet, r.timezone, r.briefing_time, r.last_briefing_at)
            for r in rows
        ]


async def stream_subscribers(
    sessions: SessionFactory,
    *,
    slot: tuple[dt.time, str] | None = None,
    batch: int = BATCH,
) -> AsyncIterator[list[Target]]:
    """Subscribed, active chats in batches by chat id (keyset paging keeps memory flat)."""
    after: int | None = None
    while targets := await subscriber_page(sessions, after=after, slot=slot, batch=batch):
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


RUN_LOCKS = 0x444C5652  # pg advisory lock namespace of delivery runs (key: the run id)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


async def hold_run_lock(sessions: SessionFactory, run_id: int) -> AsyncConnection | None:
    """On PostgreSQL, hold a session-level advisory lock saying run `run_id` is alive.

    The connection is returned for `release_run_lock`; None on SQLite (pids tell liveness).
    """
    engine = _engine(sessions)
    if engine.dialect.name != "postgresql":
        return None
    conn = await engine.connect()
    try:
        await conn.execute(
            text("SELECT pg_advisory_lock(:ns, :run)"), {"ns": RUN_LOCKS, "run": run_id}
        )
        await conn.commit()
    except BaseException:
        await conn.close()
        raise
    return conn


async def release_run_lock(conn: AsyncConnection | None, run_id: int) -> None:
    """Release the run's advisory lock and return its connection to the pool.

    Closing alone would not do: the pool keeps the session open, and the lock with it.
    """
    if conn is None:
        return
    try:
        await conn.execute(
            text("SELECT pg_advisory_unlock(:ns, :run)"), {"ns": RUN_LOCKS, "run": run_id}
        )
        await conn.commit()
    except Exception:
        # The lock must not outlive the run: drop the database session itself.
        with contextlib.suppress(Exception):
            await conn.invalidate()
    finally:
        with contextlib.suppress(Exception):  # a dead connection holds no lock either
            await conn.close()


def _engine(sessions: SessionFactory) -> AsyncEngine:
    bind = sessions.kw.get("bind")
    assert isinstance(bind, AsyncEngine)
    return bind


async def _dead_runs(
    session: AsyncSession,
    holders: set[tuple[str | None, int | None]],
    *,
    worker: str,
    live_runs: set[int],
) -> tuple[set[tuple[str | None, int | None]], set[tuple[str | None, int | None]]]:
    """The (worker, run) holders of open rows known dead, and those whose liveness is unknown."""
    dead: set[tuple[str | None, int | None]] = set()
    unknown: set[tuple[str | None, int | None]] = set()
    postgres = session.get_bind().dialect.name == "postgresql"
    host = socket.gethostname()
    for holder, run_id in holders:
        if holder == worker and run_id is not None:
            alive = run_id in live_runs  # this process: it knows its own runs
        elif postgres and run_id is not None:
            free = await session.exec(  # type: ignore[call-overload]
                text(
                    "SELECT CASE WHEN pg_try_advisory_lock(:ns, :run)"
                    " THEN pg_advisory_unlock(:ns, :run) ELSE false END"
                ),
                params={"ns": RUN_LOCKS, "run": run_id},
            )
            alive = not bool(free.scalar())
        else:
            name, _, pid = (holder or "").rpartition(":")
            if name != host or not pid.isdigit():
                unknown.add((holder, run_id))  # another host's worker: its lease decides
                continue
            alive = _pid_alive(int(pid))
        if not alive:
            dead.add((holder, run_id))
    return dead, unknown


def _held_by(pairs: set[tuple[str | None, int | None]]) -> list[ColumnElement[bool]]:
    return [
        and_(
            col(Delivery.claimed_by) == w if w is not None else col(Delivery.claimed_by).is_(None),
            col(Delivery.run_id) == r if r is not None else col(Delivery.run_id).is_(None),
        )
        for w, r in pairs
    ]


async def recover(
    sessions: SessionFactory,
    *,
    now: dt.datetime,
    worker: str,
    live_runs: set[int],
    give_up_before: dt.datetime,
) -> int:
    """Take over the open rows of dead runs at once; returns how many sends are now in doubt.

    A dead run's claims become `retry` (nothing left for Telegram, so they are sent again, from
    the next unsent part); its `sending` rows become `unknown`: Telegram may have delivered
    them, and a duplicate is worse than one briefing lost in the instant of a crash. Rows of a
    holder whose liveness cannot be told (another host on SQLite) wait for their lease. Rows
    still waiting for a retry that were created before `give_up_before` (their catch-up window
    has closed) become `failed`.
    """
    open_ = (DeliveryStatus.CLAIMED.value, DeliveryStatus.SENDING.value)
    async with sessions() as session:
        holders = set(
            (
                await session.exec(
                    select(Delivery.claimed_by, Delivery.run_id)
                    .where(col(Delivery.status).in_(open_))
                    .distinct()
                )
            ).all()
        )
        dead, unsure = await _dead_runs(session, holders, worker=worker, live_runs=live_runs)
        taken = _held_by(dead)
        if unsure:
            taken.append(and_(col(Delivery.lease_until) < now, or_(*_held_by(unsure))))
        doubt = 0
        for status, values in (
            (DeliveryStatus.CLAIMED, {"status": DeliveryStatus.RETRY.value, "lease_until": now}),
            (
                DeliveryStatus.SENDING,
                {"status": DeliveryStatus.UNKNOWN.value, "error": "interrupted while sending"},
            ),
        ):
            if not taken:
                break
            result = await session.exec(
                update(Delivery)
                .where(col(Delivery.status) == status.value, or_(*taken))
                .values(**values)
            )
            if status is DeliveryStatus.SENDING:
                doubt = int(result.rowcount or 0)
        await session.exec(
            update(Delivery)
            .where(
                col(Delivery.status) == DeliveryStatus.RETRY.value,
                col(Delivery.created_at) < give_up_before,
            )
            .values(status=DeliveryStatus.FAILED.value)
        )
        await session.commit()
        return doubt


async def claim(
    sessions: SessionFactory,
    *,
    chat_ids: Sequence[int],
    key_of: dict[int, str],
    worker: str,
    run_id: int,
    now: dt.datetime,
    lease: dt.timedelta,
) -> dict[int, tuple[int, int]]:
    """Claim deliveries for chats; returns the chats this run won, with (parts sent, attempts).

    New rows are inserted; a `retry` row whose time has come is taken over (from the part
    after the last one that went); every other existing row belongs to someone else.
    """
    if not chat_ids:
        return {}
    async with sessions() as session:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = Delivery.__table__  # type: ignore[attr-defined]
        rows = [
            {
                "chat_id": chat_id,
                "key": key_of[chat_id],
                "status": DeliveryStatus.CLAIMED.value,
                "claimed_by": worker,
                "lease_until": now + lease,
                "attempts": 0,
                "parts_sent": 0,
                "created_at": now,
                "run_id": run_id,
            }
            for chat_id in chat_ids
        ]
        stmt = (
            insert(table)
            .values(rows)
            .on_conflict_do_update(
                index_elements=["chat_id", "key"],
                set_={
                    "status": DeliveryStatus.CLAIMED.value,
                    "claimed_by": worker,
                    "run_id": run_id,
                    "lease_until": now + lease,
                },
                where=(table.c.status == DeliveryStatus.RETRY.value) & (table.c.lease_until <= now),
            )
            .returning(table.c.chat_id, table.c.parts_sent, table.c.attempts)
        )
        won = {int(r[0]): (int(r[1]), int(r[2])) for r in (await session.exec(stmt)).all()}
        await session.commit()
        return won


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one delivery ended (or how far it got), for `write_marks`."""

    chat_id: int
    key: str
    status: DeliveryStatus
    error: str | None = None
    parts_sent: int = 0
    retry_at: dt.datetime | None = None  # for RETRY: not before then


async def write_marks(
    sessions: SessionFactory,
    *,
    sending: Sequence[tuple[int, str]],
    done: Sequence[Outcome],
    worker: str,
    run_id: int,
    now: dt.datetime,
    lease: dt.timedelta,
    briefed_until: dt.datetime | None = None,
) -> set[tuple[int, str]]:
    """Record outcomes and move this run's claims to `sending`, in one commit.

    Set-based: a few statements per call, whatever the number of rows. Returns the (chat, key)
    pairs this run moved to `sending`; the others are no longer its own (send nothing). An
    outcome of SENDING only records the parts that went so far.
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
                    delivery.c.run_id == run_id,  # not a row another run has taken over since
                )
                .values(
                    status=bindparam("b_status"),
                    error=bindparam("b_error"),
                    parts_sent=bindparam("b_parts"),
                    sent_at=bindparam("b_sent_at", type_=delivery.c.sent_at.type),
                    lease_until=bindparam("b_lease", type_=delivery.c.lease_until.type),
                ),
                [
                    {
                        "b_chat_id": o.chat_id,
                        "b_key": o.key,
                        "b_status": o.status.value,
                        "b_error": o.error,
                        "b_parts": o.parts_sent,
                        "b_sent_at": now if o.status is DeliveryStatus.SENT else None,
                        "b_lease": o.retry_at if o.retry_at is not None else now + lease,
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
                    delivery.c.run_id == run_id,
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


async def open_rows(sessions: SessionFactory, *, key: str) -> int:
    """How many rows of `key` are not finished (claimed, sending or waiting for a retry)."""
    open_ = (DeliveryStatus.CLAIMED, DeliveryStatus.SENDING, DeliveryStatus.RETRY)
    async with sessions() as session:
        return int(
            (
                await session.exec(
                    select(func.count())
                    .select_from(Delivery)
                    .where(Delivery.key == key, col(Delivery.status).in_([s.value for s in open_]))
                )
            ).one()
        )


async def give_up(sessions: SessionFactory, *, key: str, error: str) -> int:
    """Turn `key`'s rows still waiting for a retry into failures; returns how many."""
    async with sessions() as session:
        result = await session.exec(
            update(Delivery)
            .where(col(Delivery.key) == key, col(Delivery.status) == DeliveryStatus.RETRY.value)
            .values(status=DeliveryStatus.FAILED.value, error=error)
        )
        await session.commit()
        return int(result.rowcount or 0)


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
