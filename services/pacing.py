"""The rate limiter for Telegram: even pacing, per-group limits, 429s waited out.

It does what PTB's AIORateLimiter does for calls to a chat (one pace for all of them, 20
messages a minute per group, a 429's retry_after held by every one), for a fraction of its CPU:
at 1,000 messages/s AIORateLimiter's leaky buckets cost about 0.5 ms of CPU per message, more
than the rest of a briefing's send (bench/bench_delivery.py, phase 4). Here a call that may
leave does so at once, and waiting calls queue for one releaser task. Calls that name no chat
(answerCallbackQuery, setMyCommands, getMe) are not paced, as with AIORateLimiter, but wait
out a 429's hold like the rest.

It also tells the sender when a request actually leaves: delivery marks a ledger row `sending`
only once its request is past the wait (a Departure), since a row marked while it still queued
would be "in doubt" after a crash although nothing went out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

Result = bool | JSONDict | list[JSONDict]
log = logging.getLogger(__name__)

# Telegram's limits for a group: 20 messages a minute (PTB's AIORateLimiter defaults).
GROUP_MESSAGES, GROUP_PERIOD = 20, 60.0
MAX_GROUPS = 512  # per-group paces kept before idle ones are dropped (at least)
BURST_SECONDS = 0.02  # calls that may leave together at the overall rate (20 at 1,000/s, 1 at 29)


@dataclass(frozen=True, slots=True)
class Departure:
    """rate_limit_args for a send: `leave` is awaited right before each attempt goes out."""

    leave: Callable[[], Awaitable[None]]
    max_retries: int | None = None


class _Pace:
    """Calls let through one per `gap` seconds, up to `burst` at once after a pause (GCRA).

    Waiters queue in order and one releaser task lets them through, each slot counted from the
    time the previous call actually left: a stalled event loop makes calls late, never bunched.
    """

    __slots__ = ("gap", "releaser", "slack", "tat", "waiters")

    def __init__(self, rate: float, burst: int = 1) -> None:
        self.gap = 1 / rate
        self.slack = (burst - 1) * self.gap
        self.tat = 0.0  # the theoretical loop time of the next call, were calls evenly spaced
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.releaser: asyncio.Task[None] | None = None

    async def turn(self) -> None:
        """Wait until this call may leave."""
        loop = asyncio.get_running_loop()
        if not self.waiters and self._take(loop.time()):
            return
        waiter: asyncio.Future[None] = loop.create_future()
        self.waiters.append(waiter)
        releaser = self.releaser
        if releaser is None or releaser.done() or releaser.get_loop() is not loop:
            self.releaser = loop.create_task(self._release())
        await waiter

    def idle(self, now: float) -> bool:
        """True when no call is waiting and a whole burst may leave."""
        return not self.waiters and self.tat <= now

    def _take(self, now: float) -> bool:
        if self.tat - self.slack > now:
            return False
        self.tat = max(self.tat, now) + self.gap
        return True

    async def _release(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self.waiters:
                if self.waiters[0].done():  # its caller was cancelled
                    self.waiters.popleft()
                elif self._take(now := loop.time()):
                    self.waiters.popleft().set_result(None)
                else:
                    await asyncio.sleep(self.tat - self.slack - now)
        finally:
            # Cancelled (the loop is ending): let the callers still waiting go, not hang.
            while self.waiters:
                waiter = self.waiters.popleft()
                if not waiter.done():
                    waiter.set_result(None)


class DepartingRateLimiter(BaseRateLimiter[int | Departure]):
    """Paces calls to chats at `rate` per second overall and per group; waits out 429s.

    rate_limit_args is the number of 429s to wait out for this call, or a Departure.
    """

    def __init__(self, rate: float, *, max_retries: int = 3) -> None:
        self._overall = _Pace(rate, burst=max(1, int(rate * BURST_SECONDS)))
        self._groups: dict[int | str, _Pace] = {}
        self._prune_at = MAX_GROUPS
        self._max_retries = max_retries
        self._hold_until = 0.0  # loop time before which nothing leaves (Telegram's retry_after)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | Departure | None,
    ) -> Result:
        """Wait for the call's turn, send it, and wait out up to N 429s before giving up."""
        departure = None
        limit: int | None
        if isinstance(rate_limit_args, Departure):
            departure, limit = rate_limit_args, rate_limit_args.max_retries
        else:
            limit = rate_limit_args
        retries = self._max_retries if limit is None else limit
        chat_id = data.get("chat_id")
        for attempt in range(retries + 1):
            await self._turn(chat_id)
            if departure is not None:
                await departure.leave()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    log.warning("%s: rate limit hit after %d retries", endpoint, retries)
                    raise
                wait = retry_seconds(exc) + 0.1
                log.info("%s: rate limit hit; every call waits %.1f s", endpoint, wait)
                until = asyncio.get_running_loop().time() + wait
                self._hold_until = max(self._hold_until, until)
                # Slots resume after the hold (a burst's slack would let calls out before it).
                self._overall.tat = max(self._overall.tat, until + self._overall.slack)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _turn(self, chat_id: object) -> None:
        """Wait out any 429 hold, then (calls to a chat) for the group's and the overall slot."""
        loop = asyncio.get_running_loop()
        group = _group_of(chat_id)
        while True:
            if (hold := self._hold_until - loop.time()) > 0:
                await asyncio.sleep(hold)
                continue
            if chat_id is None:
                return
            if group is not None:
                await self._group(group, loop.time()).turn()
            await self._overall.turn()
            if self._hold_until <= loop.time():
                return

    def _group(self, group: int | str, now: float) -> _Pace:
        pace = self._groups.get(group)
        if pace is None:
            if len(self._groups) >= self._prune_at:
                self._groups = {k: p for k, p in self._groups.items() if not p.idle(now)}
                # Pruning scans every group: when most are busy, wait until twice as many.
                self._prune_at = max(MAX_GROUPS, 2 * len(self._groups))
            pace = self._groups[group] = _Pace(GROUP_MESSAGES / GROUP_PERIOD, GROUP_MESSAGES)
        return pace


def _group_of(chat_id: object) -> int | str | None:
    """The group (or channel username) a chat id names, None for a private chat."""
    if isinstance(chat_id, str):
        try:
            chat_id = int(chat_id)
        except ValueError:
            return chat_id  # @username: a channel or supergroup
    if isinstance(chat_id, int) and chat_id < 0:
        return chat_id
    return None


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait (PTB warns while its type moves to timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: float | dt.timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
