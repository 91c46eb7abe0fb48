"""The delivery ledger: claims that make each briefing or broadcast reach a chat at most once."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select

from store.db import SessionFactory
from store.models import (
    DeliveredFact,
    Delivery,
    DeliveryStatus,
    Subscriber,
)
from store.runs import dead_runs

BATCH = 500
# A dead run's rows are taken over at once (see `recover`); the lease (DELIVERY_LEASE) is the
# backstop for a holder whose liveness cannot be told.
BLOCKED_AFTER = 2


# A recipient: a chat and a forum topic in it (0: the chat itself).
Recipient = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Target:
    """A chat (or forum topic) to deliver to, with what composing its message needs."""

    chat_id: int
    quiet: bool
    timezone: str | None
    briefing_time: dt.time | None
    last_briefing_at: dt.datetime | None
    # The chat's /language, else its users' Telegram language_code (core.i18n.supported).
    language: str | None = None
    thread_id: int = 0
    interests: str | None = None

    @property
    def recipient(self) -> Recipient:
        """The (chat, topic) pair the ledger keys this target by."""
        return (self.chat_id, self.thread_id)


async def subscriber_page(
    sessions: SessionFactory,
    *,
    after: Recipient | None,
    slot: tuple[dt.time, str] | None = None,
    news_only: bool = False,
    batch: int = BATCH,
) -> list[Target]:
    """Up to `batch` subscribed, active chats and topics after `after`, by chat and topic."""
    async with sessions() as session:
        stmt = select(Subscriber).where(
            col(Subscriber.subscribed).is_(True), col(Subscriber.active).is_(True)
        )
        if slot is not None:
            stmt = stmt.where(Subscriber.briefing_time == slot[0], Subscriber.timezone == slot[1])
        if news_only:
            stmt = stmt.where(col(Subscriber.news).is_(True))
        if after is not None:
            stmt = stmt.where(
                or_(
                    col(Subscriber.chat_id) > after[0],
                    and_(col(Subscriber.chat_id) == after[0], col(Subscriber.thread_id) > after[1]),
                )
            )
        order = (col(Subscriber.chat_id), col(Subscriber.thread_id))
        rows = (await session.exec(stmt.order_by(*order).limit(batch))).all()
        return [
            Target(
                r.chat_id,
                r.quiet,
                r.timezone,
                r.briefing_time,
                r.last_briefing_at,
                language=r.language or r.language_code,
                thread_id=r.thread_id,
                interests=r.interests,
            )
            for r in rows
        ]


async def stream_subscribers(
    sessions: SessionFactory,
    *,
    slot: tuple[dt.time, str] | None = None,
    batch: int = BATCH,
) -> AsyncIterator[list[Target]]:
    """Subscribed, active chats in batches by chat and topic (keyset paging keeps memory flat)."""
    after: Recipient | None = None
    while targets := await subscriber_page(sessions, after=after, slot=slot, batch=batch):
        yield targets
        after = targets[-1].recipient


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
        dead, unsure = await dead_runs(session, holders, worker=worker, live_runs=live_runs)
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
    recipients: Sequence[Recipient],
    key_of: dict[Recipient, str],
    worker: str,
    run_id: int,
    now: dt.datetime,
    lease: dt.timedelta,
) -> dict[Recipient, tuple[int, int]]:
    """Claim deliveries for chats and topics; returns those this run won, with (parts, attempts).

    New rows are inserted; a `retry` row whose time has come is taken over (from the part
    after the last one that went); every other existing row belongs to someone else.
    """
    if not recipients:
        return {}
    async with sessions() as session:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = Delivery.__table__  # type: ignore[attr-defined]
        rows = [
            {
                "chat_id": chat_id,
                "thread_id": thread_id,
                "key": key_of[(chat_id, thread_id)],
                "status": DeliveryStatus.CLAIMED.value,
                "claimed_by": worker,
                "lease_until": now + lease,
                "attempts": 0,
                "parts_sent": 0,
                "created_at": now,
                "run_id": run_id,
            }
            for chat_id, thread_id in recipients
        ]
        # executemany, not one VALUES list: SQLAlchemy batches it ("insertmanyvalues") with a
        # statement compiled once, where a 500-row VALUES list was compiled anew every claim.
        stmt = (
            insert(table)
            .on_conflict_do_update(
                index_elements=["chat_id", "thread_id", "key"],
                set_={
                    "status": DeliveryStatus.CLAIMED.value,
                    "claimed_by": worker,
                    "run_id": run_id,
                    "lease_until": now + lease,
                },
                where=(table.c.status == DeliveryStatus.RETRY.value) & (table.c.lease_until <= now),
            )
            .returning(table.c.chat_id, table.c.thread_id, table.c.parts_sent, table.c.attempts)
        )
        conn = await session.connection()
        won = {
            (int(r[0]), int(r[1])): (int(r[2]), int(r[3]))
            for r in (await conn.execute(stmt, rows)).all()
        }
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
    thread_id: int = 0
    # The facts the parts that went carried: (kind, fact id, Telegram message id).
    facts: tuple[tuple[str, int, int | None], ...] = ()


async def write_marks(
    sessions: SessionFactory,
    *,
    sending: Sequence[tuple[int, int, str]],
    done: Sequence[Outcome],
    worker: str,
    run_id: int,
    now: dt.datetime,
    lease: dt.timedelta,
    briefed_until: dt.datetime | None = None,
) -> set[tuple[int, int, str]]:
    """Record outcomes and move this run's claims to `sending`, in one commit.

    Set-based: a few statements per call, whatever the number of rows. Returns the (chat,
    topic, key) triples this run moved to `sending`; the others are no longer its own (send
    nothing). An outcome of SENDING only records the parts that went so far.
    """
    moved: set[tuple[int, int, str]] = set()
    async with sessions() as session:
        conn = await session.connection()
        if done:
            await conn.execute(
                _FINISH,
                [
                    {
                        "b_chat_id": o.chat_id,
                        "b_thread_id": o.thread_id,
                        "b_key": o.key,
                        "b_run_id": run_id,
                        "b_status": o.status.value,
                        "b_error": o.error,
                        "b_parts": o.parts_sent,
                        "b_sent_at": now if o.status is DeliveryStatus.SENT else None,
                        "b_lease": o.retry_at if o.retry_at is not None else now + lease,
                    }
                    for o in done
                ],
            )
            await _record_facts(conn, done, now)
            sent = [_recipient(o) for o in done if o.status is DeliveryStatus.SENT]
            if sent:
                briefed = briefed_until is not None
                await conn.execute(
                    _BRIEFED if briefed else _RESET_FAILURES,
                    [{**r, "b_briefed": briefed_until} if briefed else r for r in sent],
                )
            blocked = [_recipient(o) for o in done if o.status is DeliveryStatus.BLOCKED]
            if blocked:
                # Telegram's 403 can be passing (a user who unblocks at once); act if it persists.
                await conn.execute(_COUNT_FAILURE, blocked)
                await conn.execute(_DEACTIVATE, blocked)
        by_key: dict[tuple[str, int], list[int]] = {}
        for chat_id, thread_id, key in sending:
            by_key.setdefault((key, thread_id), []).append(chat_id)
        for (key, thread_id), chat_ids in by_key.items():
            rows = await conn.execute(
                _START_SENDING,
                {
                    "b_key": key,
                    "b_thread_id": thread_id,
                    "b_chat_ids": chat_ids,
                    "b_worker": worker,
                    "b_run_id": run_id,
                    "b_lease": now + lease,
                },
            )
            moved.update((int(r[0]), thread_id, key) for r in rows.all())
        await session.commit()
    return moved


# The ledger's per-message statements, built once: building SQL expressions anew for every
# group commit cost more CPU than running them (bench/bench_delivery.py, phase 4).
_delivery = Delivery.__table__  # type: ignore[attr-defined]
_subscriber = Subscriber.__table__  # type: ignore[attr-defined]
_FINISH = (
    update(_delivery)
    .where(
        _delivery.c.chat_id == bindparam("b_chat_id"),
        _delivery.c.thread_id == bindparam("b_thread_id"),
        _delivery.c.key == bindparam("b_key"),
        _delivery.c.run_id == bindparam("b_run_id"),  # not a row another run has taken over since
    )
    .values(
        status=bindparam("b_status"),
        error=bindparam("b_error"),
        parts_sent=bindparam("b_parts"),
        sent_at=bindparam("b_sent_at", type_=_delivery.c.sent_at.type),
        lease_until=bindparam("b_lease", type_=_delivery.c.lease_until.type),
    )
)
_START_SENDING = (
    update(_delivery)
    .where(
        _delivery.c.key == bindparam("b_key"),
        _delivery.c.thread_id == bindparam("b_thread_id"),
        _delivery.c.chat_id.in_(bindparam("b_chat_ids", expanding=True)),
        _delivery.c.status == DeliveryStatus.CLAIMED.value,
        _delivery.c.claimed_by == bindparam("b_worker"),
        _delivery.c.run_id == bindparam("b_run_id"),
    )
    .values(
        status=DeliveryStatus.SENDING.value,
        lease_until=bindparam("b_lease", type_=_delivery.c.lease_until.type),
        attempts=_delivery.c.attempts + 1,
    )
    .returning(_delivery.c.chat_id)
)
_ONE_SUBSCRIBER = and_(
    _subscriber.c.chat_id == bindparam("b_chat_id"),
    _subscriber.c.thread_id == bindparam("b_thread_id"),
)
_RESET_FAILURES = update(_subscriber).where(_ONE_SUBSCRIBER).values(failures=0)
_BRIEFED = (
    update(_subscriber)
    .where(_ONE_SUBSCRIBER)
    .values(
        failures=0,
        last_briefing_at=bindparam("b_briefed", type_=_subscriber.c.last_briefing_at.type),
    )
)
_COUNT_FAILURE = (
    update(_subscriber).where(_ONE_SUBSCRIBER).values(failures=_subscriber.c.failures + 1)
)
_DEACTIVATE = (
    update(_subscriber)
    .where(_ONE_SUBSCRIBER, _subscriber.c.failures >= BLOCKED_AFTER)
    .values(active=False)
)
_FACTS_COLUMNS = ["chat_id", "thread_id", "key", "fact_kind", "fact_id"]
_RECORD_FACT = {
    "postgresql": pg_insert(DeliveredFact.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=_FACTS_COLUMNS
    ),
    "sqlite": sqlite_insert(DeliveredFact.__table__).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=_FACTS_COLUMNS
    ),
}


def _recipient(outcome: Outcome) -> dict[str, int]:
    return {"b_chat_id": outcome.chat_id, "b_thread_id": outcome.thread_id}


async def _record_facts(conn: Any, done: Sequence[Outcome], now: dt.datetime) -> None:
    """Remember which facts each chat was sent and in which message (for correction notices)."""
    rows = [
        {
            "chat_id": o.chat_id,
            "thread_id": o.thread_id,
            "key": o.key,
            "fact_kind": kind,
            "fact_id": fact_id,
            "message_id": message_id,
            "sent_at": now,
        }
        for o in done
        for kind, fact_id, message_id in o.facts
    ]
    if rows:
        await conn.execute(_RECORD_FACT[conn.dialect.name], rows)


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
