"""A rate limiter that tells the sender when its request actually leaves for Telegram.

Delivery marks a ledger row `sending` only once its request is past the limiter's wait: a row
marked while it still queues would be "in doubt" after a crash although nothing went out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram._utils.types import JSONDict
from telegram.ext import AIORateLimiter

Result = bool | JSONDict | list[JSONDict]


@dataclass(frozen=True, slots=True)
class Departure:
    """rate_limit_args for a send: `leave` is awaited right before each attempt goes out."""

    leave: Callable[[], Awaitable[None]]
    max_retries: int | None = None


class DepartingRateLimiter(AIORateLimiter):
    """AIORateLimiter whose rate_limit_args may also be a Departure."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | Departure | None,
    ) -> Result:
        """Pace the call as AIORateLimiter does; a Departure's `leave` runs once past the wait."""
        if not isinstance(rate_limit_args, Departure):
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        departure = rate_limit_args

        async def leaving(*a: Any, **k: Any) -> Result:
            await departure.leave()
            return await callback(*a, **k)

        return await super().process_request(
            leaving, args, kwargs, endpoint, data, departure.max_retries
        )
