"""The rate limiter: even pacing, per-group limits, 429s held by every call, departures."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from telegram.error import RetryAfter

from services import pacing
from services.pacing import DepartingRateLimiter, Departure, Result


class Clocked:
    """A callback that records the loop time of each call and fails as scripted."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.at: list[float] = []
        self.failures = failures or []

    async def __call__(self) -> dict[str, Any]:
        self.at.append(asyncio.get_running_loop().time())
        if self.failures:
            raise self.failures.pop(0)
        return {"message_id": len(self.at)}


async def send(
    limiter: DepartingRateLimiter, call: Clocked, chat_id: object, args: Any = None
) -> Result:
    """One sendMessage through the limiter."""
    return await limiter.process_request(call, (), {}, "sendMessage", {"chat_id": chat_id}, args)


async def test_calls_to_chats_are_spaced_evenly_at_the_rate() -> None:
    limiter = DepartingRateLimiter(50)  # one every 20 ms, no burst at this rate
    call = Clocked()
    await asyncio.gather(*(send(limiter, call, chat) for chat in range(1, 11)))
    gaps = [b - a for a, b in zip(call.at, call.at[1:], strict=False)]
    assert len(call.at) == 10
    assert min(gaps) >= 0.0199
    assert call.at[-1] - call.at[0] < 9 * 0.02 + 0.1


async def test_a_stalled_loop_makes_calls_late_never_bunched() -> None:
    limiter = DepartingRateLimiter(50)
    call = Clocked()
    calls = [asyncio.create_task(send(limiter, call, chat)) for chat in range(1, 11)]
    await asyncio.sleep(0.03)  # two have left, eight wait for their slots
    time.sleep(0.2)  # noqa: ASYNC251 (on purpose: the event loop stalls for ten slots' worth)
    await asyncio.gather(*calls)
    gaps = [b - a for a, b in zip(call.at, call.at[1:], strict=False)]
    assert max(gaps) >= 0.19  # the stall
    assert min(gaps) >= 0.0199  # and no catching up after it


async def test_a_high_rate_lets_a_short_burst_through_then_paces() -> None:
    limiter = DepartingRateLimiter(1000)  # a burst of 20, then one per millisecond
    call = Clocked()
    await asyncio.gather(*(send(limiter, call, chat) for chat in range(1, 121)))
    assert call.at[-1] - call.at[0] >= 0.09  # 100 calls past the burst, 1 ms apart


async def test_calls_without_a_chat_are_not_paced() -> None:
    limiter = DepartingRateLimiter(1)
    call = Clocked()
    started = asyncio.get_running_loop().time()
    for _ in range(5):
        await limiter.process_request(call, (), {}, "answerCallbackQuery", {}, None)
    assert asyncio.get_running_loop().time() - started < 0.5


async def test_a_group_gets_twenty_messages_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacing, "GROUP_PERIOD", 0.6)  # 20 per 0.6 s, to keep the test short
    limiter = DepartingRateLimiter(1000)
    group, private = Clocked(), Clocked()
    await asyncio.gather(
        *(send(limiter, group, -100123) for _ in range(25)),
        *(send(limiter, private, 42) for _ in range(25)),
    )
    # The first 20 go at once, the 5 after them at 20 per 0.6 s (30 ms apart).
    assert group.at[19] - group.at[0] < 0.1
    assert group.at[24] - group.at[0] >= 5 * 0.029
    assert private.at[24] - private.at[0] < 0.1  # a private chat is not held by the group


async def test_a_429_holds_every_call_then_the_call_is_retried() -> None:
    limiter = DepartingRateLimiter(1000)
    flooded = Clocked([RetryAfter(1)])
    other = Clocked()
    first = asyncio.create_task(send(limiter, flooded, 1))
    await asyncio.sleep(0.05)  # the 429 has come back: every call now waits its hold out
    hold_from = asyncio.get_running_loop().time()
    await send(limiter, other, 2)
    assert (await first) == {"message_id": 2}
    assert other.at[0] - hold_from >= 0.9
    assert flooded.at[1] - flooded.at[0] >= 1.0


async def test_a_429_holds_calls_without_a_chat_too() -> None:
    limiter = DepartingRateLimiter(1000)
    flooded, answer = Clocked([RetryAfter(1)]), Clocked()
    first = asyncio.create_task(send(limiter, flooded, 1))
    await asyncio.sleep(0.05)
    hold_from = asyncio.get_running_loop().time()
    await limiter.process_request(answer, (), {}, "answerCallbackQuery", {}, None)
    await first
    assert answer.at[0] - hold_from >= 0.9


async def test_429s_past_the_retries_raise_and_departures_run_per_attempt() -> None:
    limiter = DepartingRateLimiter(1000)
    call = Clocked([RetryAfter(0), RetryAfter(0), RetryAfter(0)])
    left: list[float] = []

    async def leave() -> None:
        left.append(asyncio.get_running_loop().time())

    with pytest.raises(RetryAfter):
        await send(limiter, call, 7, Departure(leave, max_retries=2))
    assert len(call.at) == 3 and len(left) == 3  # first try and two retries, each departed
    assert all(a <= b for a, b in zip(left, call.at, strict=True))


async def test_calls_waiting_when_the_releaser_is_cancelled_are_let_go() -> None:
    limiter = DepartingRateLimiter(2)  # one every 0.5 s
    call = Clocked()
    calls = [asyncio.create_task(send(limiter, call, chat)) for chat in range(1, 4)]
    await asyncio.sleep(0.05)  # one has left, two wait for the releaser
    releaser = limiter._overall.releaser
    assert releaser is not None
    releaser.cancel()
    await asyncio.wait_for(asyncio.gather(*calls), timeout=1)
    assert len(call.at) == 3
