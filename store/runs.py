"""Delivery runs: their bookkeeping, and whether the run holding a ledger row is still alive.

Liveness is known without waiting: on PostgreSQL each live run holds a session-level advisory
lock; on SQLite a worker id carries its host and pid.
"""

from __future__ import annotations

import contextlib
import os
import socket

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import SessionFactory
from store.models import DeliveryRun, utcnow

Holder = tuple[str | None, int | None]  # (worker, run id) of a ledger row


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


async def dead_runs(
    session: AsyncSession,
    holders: set[Holder],
    *,
    worker: str,
    live_runs: set[int],
) -> tuple[set[Holder], set[Holder]]:
    """The (worker, run) holders of open rows known dead, and those whose liveness is unknown."""
    dead: set[Holder] = set()
    unknown: set[Holder] = set()
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
