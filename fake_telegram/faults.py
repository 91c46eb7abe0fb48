"""Faults on demand: blocked chats, injected 429s, and a global rate limit like Telegram's."""

from __future__ import annotations

import math
import time
from collections import deque

from fake_telegram.common import ApiError
from fake_telegram.state import ApiState


class Faults(ApiState):
    """Block chats, inject flood answers, and enforce ``rate_limit_per_second``."""

    def block_chat(
        self, chat_id: int, description: str = "Forbidden: bot was blocked by the user"
    ) -> None:
        """Answer 403 with ``description`` to every call aimed at ``chat_id``."""
        self._blocked[chat_id] = description

    def unblock_chat(self, chat_id: int) -> None:
        """Undo block_chat."""
        self._blocked.pop(chat_id, None)

    def inject_flood(
        self, method: str | None = "sendMessage", times: int = 1, retry_after: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (None: any method) with 429."""
        self._floods.setdefault((method or "*").lower(), deque()).extend([retry_after] * times)

    def _check_flood(self, name: str) -> None:
        for key in (name, "*"):
            pending = self._floods.get(key)
            if pending:
                seconds = pending.popleft()
                raise ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)
        if self.rate_limit_per_second is None or name == "getupdates":
            return
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate_limit_per_second:
            seconds = max(1, math.ceil(self._recent[0] + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)
        self._recent.append(now)
