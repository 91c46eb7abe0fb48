"""Delivering briefings and broadcasts: claim in the ledger, send at Telegram's pace, record.

Exactly once, and which way it errs: a chat is claimed in the ledger (a unique row per chat and
day, or per broadcast) before anything is sent, so no two processes or runs ever send it twice.
The row moves claimed -> sending -> sent. A process killed before `sending` leaves a claim that
expires and is taken over later (nothing was sent, so nothing is lost). A process killed while
`sending` leaves a row that expires to `unknown` and is NOT sent again: Telegram may already have
delivered it, and a duplicate briefing is worse than the rare one lost in the instant of a crash.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from core.settings import Settings
from core.zones import local_datetime
from kinds.digest import Digest, changes_between
from render.briefing import briefing_messages
from store import ledger
from store.db import SessionFactory
from store.models import Broadcast, DeliveryStatus, utcnow

log = logging.getLogger(__name__)

WORKER = f"{socket.gethostname()}:{os.getpid()}"
CONCURRENCY = 16
SEND_ATTEMPTS = 3
FIRST_BRIEFING_WINDOW = dt.timedelta(hours=24)


@dataclass
class RunStats:
    """What one run did."""

    run_id: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    unknown: int = 0
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


async def _send_texts(
    bot: Bot, chat_id: int, texts: list[str], *, quiet: bool
) -> tuple[DeliveryStatus, str | None]:
    """Send a chat its messages, retrying passing failures; the outcome for the ledger."""
    for text in texts:
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                await bot.send_message(
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    disable_notification=quiet,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
                break
            except Forbidden as exc:
                return DeliveryStatus.BLOCKED, str(exc)
            except BadRequest as exc:
                if "chat not found" in str(exc).lower():
                    return DeliveryStatus.BLOCKED, str(exc)
                return DeliveryStatus.FAILED, str(exc)
            except RetryAfter as exc:
                # The rate limiter already retried; wait as Telegram asks, then try again.
                if attempt == SEND_ATTEMPTS:
                    return DeliveryStatus.FAILED, str(exc)
                await asyncio.sleep(retry_seconds(exc))
            except (NetworkError, TelegramError) as exc:
                if attempt == SEND_ATTEMPTS:
                    return DeliveryStatus.FAILED, str(exc)
                await asyncio.sleep(0.5 * 2**attempt)
    return DeliveryStatus.SENT, None


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait (PTB warns while its type moves to timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: float | dt.timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


Compose = Callable[[ledger.Target], Awaitable[list[str]]]


class _LedgerWrites:
    """Group commit of one run's per-message ledger writes.

    Each chat keeps its order: its row is committed as `sending` before its message goes out,
    and its outcome is committed before its slot is freed, so no more than CONCURRENCY rows are
    ever `sending`. Writes asked for while a transaction is running share the next one: a few
    commits per handful of messages instead of two per message, and a single writer of them
    per run (many concurrent SQLite writers starve one another past busy_timeout).
    """

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        worker: str,
        lease: dt.timedelta,
        briefed_until: dt.datetime | None,
    ) -> None:
        self._sessions = sessions
        self._worker = worker
        self._lease = lease
        self._briefed_until = briefed_until
        self._queue: list[tuple[tuple[int, str] | ledger.Outcome, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def sending(self, chat_id: int, key: str) -> bool:
        """Move this worker's claim to `sending`; False if it is not (or no longer) ours."""
        return await self._submit((chat_id, key))

    async def done(self, outcome: ledger.Outcome) -> None:
        """Record how a delivery ended."""
        await self._submit(outcome)

    async def _submit(self, item: tuple[int, str] | ledger.Outcome) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                moved = await ledger.write_marks(
                    self._sessions,
                    sending=[i for i, _ in batch if not isinstance(i, ledger.Outcome)],
                    done=[i for i, _ in batch if isinstance(i, ledger.Outcome)],
                    worker=self._worker,
                    now=utcnow(),
                    lease=self._lease,
                    briefed_until=self._briefed_until,
                )
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for item, future in batch:
                if not future.done():
                    future.set_result(isinstance(item, ledger.Outcome) or item in moved)


async def _deliver(
    bot: Bot,
    sessions: SessionFactory,
    *,
    kind: str,
    batches: AsyncIterator[list[tuple[ledger.Target, str]]],
    compose: Compose,
    briefed_until: dt.datetime | None,
    worker: str,
    lease: dt.timedelta,
) -> RunStats:
    """Claim, send and record every target; the shared path of briefings and broadcasts."""
    stats = RunStats()
    stats.unknown = await ledger.expire_stale_claims(sessions, now=utcnow())
    stats.run_id = await ledger.start_run(sessions, kind=kind, worker=worker)
    limit = asyncio.Semaphore(CONCURRENCY)
    writes = _LedgerWrites(sessions, worker=worker, lease=lease, briefed_until=briefed_until)

    async def one(target: ledger.Target, key: str) -> None:
        async with limit:
            if not await writes.sending(target.chat_id, key):
                stats.skipped += 1
                return
            try:
                texts = await compose(target)
                status, error = await _send_texts(bot, target.chat_id, texts, quiet=target.quiet)
            except Exception as exc:  # one bad chat must not stop the run
                log.exception("Delivery to %s failed", target.chat_id)
                status, error = DeliveryStatus.FAILED, repr(exc)
            await writes.done(ledger.Outcome(target.chat_id, key, status, error))
            if status is DeliveryStatus.SENT:
                stats.sent += 1
            elif status is DeliveryStatus.BLOCKED:
                stats.blocked += 1
            else:
                stats.failed += 1

    # The next batch is read and claimed while the previous one is still being sent, so the
    # sends do not pause at each batch; at most two claimed batches are unfinished at a time.
    previous: list[asyncio.Task[None]] = []
    async for batch in batches:
        keys = {t.chat_id: key for t, key in batch}
        won = await ledger.claim(
            sessions,
            chat_ids=list(keys),
            key_of=keys,
            worker=worker,
            run_id=stats.run_id,
            now=utcnow(),
            lease=lease,
        )
        stats.skipped += len(keys) - len(won)
        current = [asyncio.create_task(one(t, key)) for t, key in batch if t.chat_id in won]
        await asyncio.gather(*previous)
        previous = current
    await asyncio.gather(*previous)
    stats.finished = utcnow()
    await ledger.finish_run(
        sessions,
        run_id=stats.run_id,
        sent=stats.sent,
        failed=stats.failed,
        blocked=stats.blocked,
        unknown=stats.unknown,
    )
    return stats


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
    digests: dict[dt.datetime, Digest] = {}
    loading = asyncio.Lock()  # the first CONCURRENCY chats would each load the same digest
    # The text depends only on these three, so it is rendered once per run for each.
    texts: dict[tuple[dt.datetime, str, dt.date], list[str]] = {}

    async def digest_since(since: dt.datetime) -> Digest:
        if since not in digests:
            async with loading:
                if since not in digests:
                    async with sessions() as session:
                        digests[since] = await changes_between(session, since=since, until=cutoff)
        return digests[since]

    async def compose(target: ledger.Target) -> list[str]:
        since = target.last_briefing_at or cutoff - FIRST_BRIEFING_WINDOW
        zone_name = target.timezone or settings.timezone
        zone = ZoneInfo(zone_name)
        today = cutoff.astimezone(zone).date()
        key = (since, zone_name, today)
        if key not in texts:
            texts[key] = briefing_messages(await digest_since(since), tz=zone, today=today)
        return texts[key]

    async def due_batches() -> AsyncIterator[list[tuple[ledger.Target, str]]]:
        async for batch in ledger.stream_subscribers(sessions, slot=slot):
            due = [(t, day) for t in batch if (day := due_day(t, settings, cutoff)) is not None]
            if due:
                yield [(t, briefing_key(day)) for t, day in due]

    stats = await _deliver(
        bot,
        sessions,
        kind="briefing",
        batches=due_batches(),
        compose=compose,
        briefed_until=cutoff,
        worker=worker,
        lease=settings.delivery_lease,
    )
    log.info(
        "Briefing run %s: %s sent, %s failed, %s blocked, %s in doubt, %s skipped in %.1f s",
        stats.run_id,
        stats.sent,
        stats.failed,
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
    """Send a stored broadcast to every subscribed, reachable chat, each at most once."""
    async with sessions() as session:
        row = await session.get(Broadcast, broadcast_id)
    if row is None:
        raise LookupError(f"no broadcast {broadcast_id}")
    text = row.text

    async def compose(target: ledger.Target) -> list[str]:
        return [text]

    async def batches() -> AsyncIterator[list[tuple[ledger.Target, str]]]:
        async for batch in ledger.stream_subscribers(sessions):
            yield [(t, f"broadcast:{broadcast_id}") for t in batch]

    return await _deliver(
        bot,
        sessions,
        kind="broadcast",
        batches=batches(),
        compose=compose,
        briefed_until=None,
        worker=worker,
        lease=settings.delivery_lease,
    )
