"""A small in-process cache: least recently used entries go first, and none outlives its TTL."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """At most `size` entries, each kept `ttl` seconds; reads refresh recency, not age."""

    def __init__(
        self, *, size: int, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._size = size
        self._ttl = ttl
        self._clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value stored under `key`, unless it is missing or expired."""
        entry = self._items.get(key)
        if entry is None:
            return None
        stored, value = entry
        if self._clock() - stored >= self._ttl:
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store `value`, dropping the least recently used entry beyond `size`."""
        self._items[key] = (self._clock(), value)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (e.g. after facts change, in tests)."""
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
