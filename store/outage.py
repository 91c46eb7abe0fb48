"""Telling "the database is away for now" (locked, restarting, unreachable) from a bug."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

MAX_REASON = 120


def database_away(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database could not be used right now."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OperationalError, DisconnectionError, PoolTimeout)):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, ConnectionError):  # refused, reset: a server restarting
            return True
        current = current.__cause__ or current.__context__
    return False


def away_reason(exc: BaseException) -> str:
    """One short line naming the error, without its SQL or parameters (they hold user text)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(cause).strip().splitlines() or [""])[0][:MAX_REASON]
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__
