"""Delivering briefings and broadcasts: claim in the ledger, send at Telegram's pace, record.

Exactly once, and which way it errs:
- A chat is claimed in the ledger (a unique row per chat and day, or per broadcast) before
  anything is sent, so no two processes or runs ever send it twice. A run claims only what it
  is about to send: CLAIM_SECONDS' worth at BRIEFING_RATE at a time.
- The row moves claimed -> sending -> sent. It becomes `sending` only when its request leaves
  the rate limiter for Telegram (services/pacing.py), not while it waits its turn.
- A dead run's rows are taken over at once, not after a lease (ledger.recover): liveness is the
  run's own process on SQLite (the worker id carries host and pid) and a session-level advisory
  lock each live run holds on PostgreSQL. Its claims are sent again; its `sending` rows become
  `unknown` and are NOT sent again: Telegram may already have delivered them, and a duplicate
  is worse than the rare one lost in the instant of a crash.
- A timeout is not a failure: a send that timed out or lost its connection after the request
  left is recorded `unknown` (in doubt), never resent blindly. Only failures where nothing was
  delivered (no connection made, or Telegram answered with an error or a 429) are retried:
  first in place with backoff (sending.RETRY_DELAYS, enough for a short outage), then as a
  `retry` row the next run or sweep takes over after RETRY_AFTER, until the catch-up window
  closes.
- A multi-message briefing records the parts that went; a retry resumes from the next part, so
  a chat gets its briefing whole (the resumed parts are rendered again at the later time).
- Broadcasts are resumed by the next sweep or `send-briefings` until they are finished.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar
from zoneinfo import ZoneInfo

from telegram import Bot

from core.settings import Settings
from core.zones import local_datetime
from services.briefing_texts import BriefingTexts
from services.ledger_writes import LedgerWrites, ledger_call
from services.sending import Outgoing, Sent, send_texts
from store import broadcasts, ledger, runs
from store.db import SessionFactory
from store.models import Broadcast, DeliveryStatus, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

WORKER = f"{socket.gethostname()}:{os.getpid()}"
CLAIM_SECONDS = 2.0  # a run claims this many seconds' worth of sends at a time
MIN_CONCURRENCY = 16
MAX_CONCURRENCY = 512
RETRY_AFTER = dt.timedelta(minutes=1)  # then the next run or sweep tries again, doubling

# The runs of this process that are still going: the others' rows are taken over at once.
_LIVE_RUNS: set[int] = set()
_BROADCASTS: set[int] = set()  # broadcasts this process is sending right now


@dataclass
class RunStats:
    """What one run did."""

    run_id: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    unknown: int = 0
    retrying: int = 0
    skipped: int = 0
    started: dt.datetime = field(default_factory=utcnow)
    finished: dt.datetime | None = None

    @property
    def seconds(self) -> float:
        """How long the run took."""
        return ((self.finished or utcnow()) - self.started).total_seconds()


def briefing_key(local_day: dt.date) -> str:
    """The ledger key of a day's briefing."""
    return f"briefing:{local_day.isoformat()}"


def due_day(target: ledger.Target, settings: Settings, now: dt.datetime) -> dt.date | None:
    """The local day whose briefing is due for `target` now, or None (too early or too late)."""
    zone = target.timezone or settings.timezone
    at = target.briefing_time or settings.briefing_time
    today = now.astimezone(ZoneInfo(zone)).date()
    # Yesterday's too: a 23:30 briefing missed by a bot down until 00:30 is still due.
    for day in (today, today - dt.timedelta(days=1)):
        late = now - local_datetime(day, at, zone)
        if dt.timedelta(0) <= late <= settings.briefing_catchup:
            return day
    return None


def concurrency(rate: float) -> int:
    """Sends in flight at once: enough for `rate` at a half-second answer and ledger time.

    A send's slot is held while its `sending` mark waits for a group commit, the answer comes
    back and its outcome is committed; on PostgreSQL that is a few tenths of a second at
    1,000 messages/s (bench/bench_delivery.py phase 4: 256 in flight gave 453 msg/s, 500 670).
    """
    return max(MIN_CONCURRENCY, min(MAX_CONCURRENCY, math.ceil(rate / 2)))


class Lost(Exception):
    """The row is no longer this run's (taken over): send nothing."""


Compose = Callable[[ledger.Target], Awaitable[Outgoing]]


async def _pages(
    sessions: SessionFactory, slot: tuple[dt.time, str] | None = None, *, news_only: bool = False
) -> AsyncIterator[list[ledger.Target]]:
    """The subscribers in keyset pages, each read again while the database is away."""
    after: ledger.Recipient | None = None
    while True:
        targets = await ledger_call(
            "Reading subscribers",
            lambda: ledger.subscriber_page(
                sessions,
                after=after,  # noqa: B023
                slot=slot,
                news_only=news_only,
            ),
        )
        if not targets:
            return
        yield targets
        after = targets[-1].recipient


def _retry_at(attempts: int) -> dt.datetime:
    later: dt.datetime = utcnow() + RETRY_AFTER * 2 ** min(attempts, 6)
    return later


async def deliver(
    bot: Bot,
    sessions: SessionFactory,
    *,
    kind: str,
    batches: AsyncIterator[list[tuple[ledger.Target, str]]],
    compose: Compose,
    briefed_until: dt.datetime | None,
    worker: str,
    settings: Settings,
) -> RunStats:
    """Claim, send and record every target: the shared path of briefings, broadcasts, notices."""
    stats = RunStats()
    stats.run_id = await ledger_call(
        "Starting a run", lambda: runs.start_run(sessions, kind=kind, worker=worker)
    )
    _LIVE_RUNS.add(stats.run_id)
    lock = None
    try:
        lock = await ledger_call(
            "Locking the run", lambda: runs.hold_run_lock(sessions, stats.run_id)
        )
        now = utcnow()
        stats.unknown = await ledger_call(
            "Taking over dead runs",
            lambda: ledger.recover(
                sessions,
                now=now,
                worker=worker,
                live_runs=_LIVE_RUNS,
                give_up_before=now - settings.briefing_catchup,
            ),
        )
        await _send_all(bot, sessions, stats, batches, compose, briefed_until, worker, settings)
    finally:
        _LIVE_RUNS.discard(stats.run_id)
        await runs.release_run_lock(lock, stats.run_id)
    stats.finished = utcnow()
    await ledger_call(
        "Recording the run",
        lambda: runs.finish_run(
            sessions,
            run_id=stats.run_id,
            sent=stats.sent,
            failed=stats.failed + stats.retrying,
            blocked=stats.blocked,
            unknown=stats.unknown,
        ),
    )
    return stats


async def _send_all(
    bot: Bot,
    sessions: SessionFactory,
    stats: RunStats,
    batches: AsyncIterator[list[tuple[ledger.Target, str]]],
    compose: Compose,
    briefed_until: dt.datetime | None,
    worker: str,
    settings: Settings,
) -> None:
    rate = settings.briefing_rate
    limit = asyncio.Semaphore(concurrency(rate))
    lease = settings.delivery_lease
    writes = LedgerWrites(
        sessions, worker=worker, run_id=stats.run_id, lease=lease, briefed_until=briefed_until
    )

    async def one(target: ledger.Target, key: str, start: int, attempts: int) -> None:
        chat_id, thread_id = target.recipient
        marked = False
        out = Outgoing([])
        message_ids: list[int | None] = []

        def carried() -> tuple[tuple[str, int, int | None], ...]:
            # The facts of the parts that went in this run, with the message that carried each.
            return tuple(
                (kind, fact_id, message_id)
                for part, message_id in enumerate(message_ids, start)
                if part < len(out.facts)
                for kind, fact_id in out.facts[part]
            )

        async def depart() -> None:
            nonlocal marked
            if not marked:
                if not await writes.sending(target.recipient, key):
                    raise Lost
                marked = True

        async def progress(parts: int) -> None:
            await writes.done(
                ledger.Outcome(
                    chat_id,
                    key,
                    DeliveryStatus.SENDING,
                    None,
                    parts,
                    thread_id=thread_id,
                    facts=carried(),
                )
            )

        async with limit:
            try:
                out = await compose(target)
                sent = await send_texts(
                    bot,
                    chat_id,
                    out.texts,
                    thread_id=thread_id,
                    start=start,
                    quiet=target.quiet,
                    depart=depart,
                    progress=progress,
                    reply_to=out.reply_to,
                    message_ids=message_ids,
                )
            except Lost:
                stats.skipped += 1
                return
            except Exception as exc:  # one bad chat must not stop the run
                log.error("Delivery to %s failed: %s", chat_id, type(exc).__name__)
                if marked:
                    sent = Sent(DeliveryStatus.UNKNOWN, f"in doubt: {type(exc).__name__}", start)
                else:  # nothing went: the next run or sweep sends it
                    sent = Sent(DeliveryStatus.RETRY, f"not sent: {type(exc).__name__}", start)
                    attempts = -1
            retry_at = None
            if sent.status is DeliveryStatus.RETRY:
                retry_at = utcnow() if attempts < 0 else _retry_at(attempts)
            try:
                await writes.done(
                    ledger.Outcome(
                        chat_id,
                        key,
                        sent.status,
                        sent.error,
                        sent.parts,
                        retry_at,
                        thread_id,
                        carried(),
                    )
                )
            except Exception as exc:
                # The row stays `sending`: in doubt once this run has ended, never sent twice.
                log.error("Could not record the delivery to %s: %s", chat_id, type(exc).__name__)
                return
            counter = {
                DeliveryStatus.SENT: "sent",
                DeliveryStatus.BLOCKED: "blocked",
                DeliveryStatus.UNKNOWN: "unknown",
                DeliveryStatus.RETRY: "retrying",
            }.get(sent.status, "failed")
            setattr(stats, counter, getattr(stats, counter) + 1)

    # The next chunk is claimed while the previous one is still being sent, so the sends do not
    # pause at each chunk; at most two claimed chunks (2 x CLAIM_SECONDS' worth) are unfinished.
    chunk = max(concurrency(rate), math.ceil(rate * CLAIM_SECONDS))
    previous: list[asyncio.Task[None]] = []
    async for batch in batches:
        for i in range(0, len(batch), chunk):
            part = batch[i : i + chunk]
            keys = {t.recipient: key for t, key in part}
            won = await ledger_call(
                "Claiming",
                lambda: ledger.claim(
                    sessions,
                    recipients=list(keys),  # noqa: B023
                    key_of=keys,  # noqa: B023
                    worker=worker,
                    run_id=stats.run_id,
                    now=utcnow(),
                    lease=lease,
                ),
            )
            stats.skipped += len(keys) - len(won)
            current = [
                asyncio.create_task(one(t, key, *won[t.recipient]))
                for t, key in part
                if t.recipient in won
            ]
            await asyncio.gather(*previous)
            previous = current
    await asyncio.gather(*previous)


async def send_due_briefings(
    bot: Bot,
    sessions: SessionFactory,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    slot: tuple[dt.time, str] | None = None,
    worker: str = WORKER,
) -> RunStats:
    """Send every briefing that is due now (within the catch-up window), each at most once."""
    cutoff = now or utcnow()
    texts = BriefingTexts(sessions, settings, cutoff)

    async def due_batches() -> AsyncIterator[list[tuple[ledger.Target, str]]]:
        async for batch in _pages(sessions, slot):
            due = [(t, day) for t in batch if (day := due_day(t, settings, cutoff)) is not None]
            if due:
                yield [(t, briefing_key(day)) for t, day in due]

    stats = await deliver(
        bot,
        sessions,
        kind="briefing",
        batches=due_batches(),
        compose=texts.compose,
        briefed_until=cutoff,
        worker=worker,
        settings=settings,
    )
    log.info(
        "Briefing run %s: %s sent, %s failed, %s to retry, %s blocked, %s in doubt, %s skipped"
        " in %.1f s",
        stats.run_id,
        stats.sent,
        stats.failed,
        stats.retrying,
        stats.blocked,
        stats.unknown,
        stats.skipped,
        stats.seconds,
    )
    return stats


async def send_broadcast(
    bot: Bot,
    sessions: SessionFactory,
    settings: Settings,
    *,
    broadcast_id: int,
    worker: str = WORKER,
) -> RunStats:
    """Send a stored broadcast to every subscribed, reachable chat, each at most once.

    Run again (by a sweep) after an interruption, it sends only to the chats not yet reached;
    the broadcast is finished once no chat is left to send to or to retry.
    """
    async with sessions() as session:
        row = await session.get(Broadcast, broadcast_id)
    if row is None:
        raise LookupError(f"no broadcast {broadcast_id}")
    text = row.text
    key = f"broadcast:{broadcast_id}"

    async def compose(target: ledger.Target) -> Outgoing:
        return Outgoing([text])

    async def batches() -> AsyncIterator[list[tuple[ledger.Target, str]]]:
        async for batch in _pages(sessions, news_only=True):
            yield [(t, key) for t in batch]

    _BROADCASTS.add(broadcast_id)
    try:
        stats = await deliver(
            bot,
            sessions,
            kind="broadcast",
            batches=batches(),
            compose=compose,
            briefed_until=None,
            worker=worker,
            settings=settings,
        )
    finally:
        _BROADCASTS.discard(broadcast_id)
    if utcnow() - row.created_at > settings.briefing_catchup:
        await ledger_call(
            "Closing a broadcast",
            lambda: ledger.give_up(
                sessions, key=key, error="not delivered within BRIEFING_CATCHUP"
            ),
        )
    if await ledger_call("Checking a broadcast", lambda: ledger.open_rows(sessions, key=key)) == 0:
        await ledger_call(
            "Finishing a broadcast",
            lambda: broadcasts.finish_broadcast(sessions, broadcast_id=broadcast_id),
        )
    log.info(
        "Broadcast %s run %s: %s sent, %s to retry, %s in doubt, %s skipped",
        broadcast_id,
        stats.run_id,
        stats.sent,
        stats.retrying,
        stats.unknown,
        stats.skipped,
    )
    return stats


async def resume_broadcasts(
    bot: Bot, sessions: SessionFactory, settings: Settings, *, worker: str = WORKER
) -> list[RunStats]:
    """Carry on every unfinished broadcast this process is not already sending."""
    done = []
    for row in await broadcasts.unfinished_broadcasts(sessions):
        if row.id is not None and row.id not in _BROADCASTS:
            done.append(
                await send_broadcast(bot, sessions, settings, broadcast_id=row.id, worker=worker)
            )
    return done
