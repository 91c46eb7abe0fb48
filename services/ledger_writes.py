"""The ledger's per-message writes of one delivery run, group-committed and retried."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from store import ledger
from store.db import SessionFactory
from store.models import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

WRITE_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # a ledger write retried while the DB is away


class LedgerWrites:
    """Group commit of one run's per-message ledger writes.

    Each chat keeps its order: its row is committed as `sending` before its message goes out,
    and its outcome is committed before its slot is freed. Writes asked for while a transaction
    is running share the next one: a few commits per handful of messages instead of two per
    message, and a single writer of them per run (many concurrent SQLite writers starve one
    another past busy_timeout). A write that fails (the database went away) is retried for a
    while (WRITE_DELAYS) before its callers see the error.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        worker: str,
        run_id: int,
        lease: dt.timedelta,
        briefed_until: dt.datetime | None,
    ) -> None:
        self._sessions = sessions
        self._worker = worker
        self._run_id = run_id
        self._lease = lease
        self._briefed_until = briefed_until
        self._queue: list[tuple[tuple[int, int, str] | ledger.Outcome, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def sending(self, recipient: ledger.Recipient, key: str) -> bool:
        """Move this run's claim to `sending`; False if it is not (or no longer) ours."""
        return await self._submit((recipient[0], recipient[1], key))

    async def done(self, outcome: ledger.Outcome) -> None:
        """Record how a delivery ended (or, with SENDING, how many parts went)."""
        await self._submit(outcome)

    async def _submit(self, item: tuple[int, int, str] | ledger.Outcome) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _write(
        self, batch: list[tuple[int, int, str] | ledger.Outcome]
    ) -> set[tuple[int, int, str]]:
        return await ledger_call(
            "Ledger write",
            lambda: ledger.write_marks(
                self._sessions,
                sending=[i for i in batch if not isinstance(i, ledger.Outcome)],
                done=[i for i in batch if isinstance(i, ledger.Outcome)],
                worker=self._worker,
                run_id=self._run_id,
                now=utcnow(),
                lease=self._lease,
                briefed_until=self._briefed_until,
            ),
        )

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                moved = await self._write([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for item, future in batch:
                if not future.done():
                    future.set_result(isinstance(item, ledger.Outcome) or item in moved)


async def ledger_call(what: str, call: Callable[[], Awaitable[T]]) -> T:
    """Run a ledger call, again for a while (WRITE_DELAYS) if the database is away."""
    for delay in WRITE_DELAYS:
        try:
            return await call()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("%s failed (%s); retrying in %.2f s", what, type(exc).__name__, delay)
            await asyncio.sleep(delay)
    return await call()
