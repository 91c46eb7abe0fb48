"""A read cache for the subscriber commands, kept correct by the store's facts version.

Every write to a table the read commands show bumps one counter, `store_meta.facts`, inside the
writing transaction (triggers, migration 0004), whichever process or tool writes: the bot, a
replica, `python -m bot import`, a hand-run SQL statement. Before answering from the cache, a read
asks for that counter; an answer is reused only while the counter is the one it was read at. So a
fact saved, corrected or retracted anywhere is seen by the next command, and a retracted fact is
never served from memory.

Why it pays: through SQLAlchemy's AsyncSession and aiosqlite one statement costs ~0.8 ms (four
thread hops, a pool checkout and two rollbacks), while the facts change a few times a day and the
same pages are asked for again and again. On SQLite the counter is read over a dedicated aiosqlite
connection in one thread hop (~0.08 ms); on PostgreSQL through the session.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiosqlite
from sqlalchemy import TextClause, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import ORMExecuteState, Session
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import FACTS_VERSION_KEY, StoreMeta

log = logging.getLogger(__name__)

CACHE_INFO_KEY = "read_cache"
_WROTE_INFO_KEY = "read_cache_bypass"
_VERSION_INFO_KEY = "read_cache_version"
_MISSING = object()
_VERSION_SQL = "SELECT value FROM store_meta WHERE key = ?"

P = ParamSpec("P")
R = TypeVar("R")


class ReadCache:
    """Answers of read queries for one database, valid for one facts version at a time."""

    def __init__(self, engine: AsyncEngine, *, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._version: int | None = None
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._sqlite_path: str | None = None
        url = engine.url
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self._sqlite_path = url.database
        self._probe: aiosqlite.Connection | None = None
        self._probe_lock = asyncio.Lock()
        self._closed = False

    async def facts_version(self, session: AsyncSession) -> int | None:
        """The store's facts version now, or None when it cannot be read (then do not cache).

        Call it only on a session that has not begun a transaction: on PostgreSQL the version is
        read through the session, and a failure there rolls it back.
        """
        if self._closed:
            return None
        if self._sqlite_path is not None:
            return await self._sqlite_version()
        try:
            with session.no_autoflush:
                value = (
                    await session.exec(
                        select(StoreMeta.value).where(StoreMeta.key == FACTS_VERSION_KEY)
                    )
                ).first()
        except DBAPIError:
            # A store older than migration 0004: serve uncached.
            log.debug("facts version unreadable, caching off", exc_info=True)
            await session.rollback()
            return None
        return None if value is None else int(value)

    async def _sqlite_version(self) -> int | None:
        try:
            if self._probe is None:
                # One connection, however many updates ask at once; none after close().
                async with self._probe_lock:
                    if self._closed:
                        return None
                    if self._probe is None:
                        self._probe = await aiosqlite.connect(self._sqlite_path or "")
            rows = list(await self._probe.execute_fetchall(_VERSION_SQL, (FACTS_VERSION_KEY,)))
        except (sqlite3.Error, ValueError) as exc:
            # A store older than migration 0004, an unreadable file, or a probe closed meanwhile
            # (aiosqlite raises ValueError then): serve uncached.
            log.debug("facts version unreadable, caching off: %s", exc)
            return None
        return int(rows[0][0]) if rows else None

    def lookup(self, version: int, key: Hashable, *, fresh: bool = True) -> Any:
        """The answer cached for `key` at `version`, or `_MISSING`; a new version empties all.

        `fresh` says the version was read just now. A session still working at an older version
        it read earlier gets misses (and `store` ignores it) rather than emptying the cache.
        """
        if version != self._version:
            if not fresh and self._version is not None and version < self._version:
                return _MISSING
            self._entries.clear()
            self._version = version
            return _MISSING
        found = self._entries.get(key, _MISSING)
        if found is not _MISSING:
            self._entries.move_to_end(key)
        return found

    def store(self, version: int, key: Hashable, value: Any) -> None:
        """Keep an answer read at `version`, unless the version moved on meanwhile."""
        if version != self._version:
            return
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every cached answer."""
        self._entries.clear()
        self._version = None

    async def close(self) -> None:
        """Close the version probe's connection; the cache serves nothing afterwards."""
        self._closed = True
        self.clear()
        async with self._probe_lock:
            probe, self._probe = self._probe, None
        if probe is not None:
            await probe.close()


def _session_version(session: AsyncSession) -> Any:
    return session.info.get(_VERSION_INFO_KEY, _MISSING)


def _is_clean(session: AsyncSession) -> bool:
    """Nothing written, flushed or pending: what the session reads is what is committed."""
    return not (
        session.info.get(_WROTE_INFO_KEY) or session.new or session.dirty or session.deleted
    )


def cached_read(
    fn: Callable[Concatenate[AsyncSession, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[AsyncSession, P], Coroutine[Any, Any, R]]:
    """Serve a read query from the session's ReadCache while the facts version is unchanged.

    The wrapped function must be a pure read whose arguments are hashable and whose result
    callers never mutate. The version is read once per session, before its first statement:
    a session that had already begun a transaction or loaded objects may hold an older snapshot
    (SQLite) or older values (its identity map keeps loaded objects as they were), so it runs
    its queries uncached, and so does a session that has written or holds pending changes (it
    must see its own rows, and they must never reach other sessions). Writes are noticed
    through the ORM (flushes and executed statements); raw DBAPI writes on
    `session.connection()` are not, so code doing those must not call cached reads afterwards
    in the same session.
    """

    @functools.wraps(fn)
    async def wrapper(session: AsyncSession, /, *args: P.args, **kwargs: P.kwargs) -> R:
        cache: ReadCache | None = session.info.get(CACHE_INFO_KEY)
        if cache is None or cache.max_entries <= 0 or not _is_clean(session):
            return await fn(session, *args, **kwargs)
        version = _session_version(session)
        fresh = version is _MISSING
        if fresh:
            version = None
            # Nothing read yet: no snapshot begun, no loaded objects that would keep old values.
            if not session.in_transaction() and not session.sync_session.identity_map:
                version = await cache.facts_version(session)
            session.info[_VERSION_INFO_KEY] = version
        if version is None:
            return await fn(session, *args, **kwargs)
        key = (fn.__qualname__, args, tuple(sorted(kwargs.items())))
        found = cache.lookup(version, key, fresh=fresh)
        if found is not _MISSING:
            cache.hits += 1
            return found  # type: ignore[no-any-return]
        cache.misses += 1
        value = await fn(session, *args, **kwargs)
        if _is_clean(session):
            cache.store(version, key, value)
        return value

    return wrapper


def _is_write(state: ORMExecuteState) -> bool:
    statement = state.statement
    if isinstance(statement, TextClause):
        # Only a plain SELECT counts as a read; "WITH … UPDATE" and anything else as a write.
        return not statement.text.lstrip()[:6].upper().startswith("SELECT")
    return bool(state.is_insert or state.is_update or state.is_delete)


@event.listens_for(Session, "do_orm_execute")
def _note_write_statement(state: ORMExecuteState) -> None:
    if _is_write(state):
        state.session.info[_WROTE_INFO_KEY] = True


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE_INFO_KEY] = True
