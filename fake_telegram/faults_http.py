"""Faults the HTTP fake injects in front of the Bot API: outages answering 500, slow answers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

_SERVER_ERROR = {"ok": False, "error_code": 500, "description": "Internal Server Error"}


class HttpFaults:
    """Time-boxed faults for some methods (sendMessage by default), on the monotonic clock."""

    def __init__(self, methods: tuple[str, ...] = ("sendmessage",)) -> None:
        self.methods = {m.lower() for m in methods}
        self.refused = 0  # calls answered 500 (nothing delivered)
        self.delayed: list[Any] = []  # chat_id of every call delivered, then answered late
        self._outage_until = 0.0
        self._slow_left = 0
        self._slow_by = 0.0

    def outage(self, seconds: float) -> None:
        """Answer 500 (delivering nothing) for the next `seconds`."""
        self._outage_until = time.monotonic() + seconds

    def slow(self, times: int, *, by: float) -> None:
        """Deliver the next `times` calls at once but answer each `by` seconds late."""
        self._slow_left = times
        self._slow_by = by

    def refusal(self, method: str) -> dict[str, Any] | None:
        """The 500 body to answer instead of handling the call, or None."""
        if method.lower() in self.methods and time.monotonic() < self._outage_until:
            self.refused += 1
            return dict(_SERVER_ERROR)
        return None

    def is_slow(self, method: str) -> bool:
        """Whether this call, arriving now, is to be answered late (counts it)."""
        if method.lower() in self.methods and self._slow_left > 0:
            self._slow_left -= 1
            return True
        return False

    async def hold(self, params: dict[str, Any]) -> None:
        """Answer late: the call was handled (delivered) already."""
        self.delayed.append(params.get("chat_id"))
        await asyncio.sleep(self._slow_by)
