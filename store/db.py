"""The async engine, sessions and schema upgrades (Alembic)."""

from __future__ import annotations

import asyncio
import fcntl
import functools
import os
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

SessionFactory = async_sessionmaker[AsyncSession]
# The key of the PostgreSQL advisory lock held while one process migrates and seeds.
SETUP_LOCK_KEY = 0x5045414345  # "PEACE"


# How long a starting process waits for another one's migration and seeding (docs/operations.md):
# past this the holder is taken to be stuck, and the start ends with one line and status 5.
SETUP_LOCK_TIMEOUT = 600.0
_LOCK_POLL = 0.2  # seconds between tries while another process holds the lock


class SetupLockTimeout(TimeoutError):
    """Another process held the start-up lock (migration and seeding) for too long."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"another process has been migrating or seeding this database for over "
            f"{seconds:g} s (the start-up lock); if none is running, a stuck one holds it: stop it"
        )


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@asynccontextmanager
async def setup_lock(
    engine: AsyncEngine, *, wait: float = SETUP_LOCK_TIMEOUT
) -> AsyncIterator[None]:
    """Hold a lock while migrating and seeding, so replicas started together take turns.

    PostgreSQL: a session-level advisory lock on a connection of its own. SQLite: an
    exclusive flock on `<database>.lock` beside the file (released by the OS if we die).
    Waits at most `wait` seconds for another holder, then raises SetupLockTimeout.
    """
    deadline = asyncio.get_running_loop().time() + wait
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            take = text("SELECT pg_try_advisory_lock(:key)")
            while not (await conn.execute(take, {"key": SETUP_LOCK_KEY})).scalar():
                await _wait_turn(deadline, wait)
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SETUP_LOCK_KEY})
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    fd = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while not _try_flock(fd):
            await _wait_turn(deadline, wait)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


async def _wait_turn(deadline: float, wait: float) -> None:
    """Sleep before the next try, or give up once the deadline has passed."""
    if asyncio.get_running_loop().time() >= deadline:
        raise SetupLockTimeout(wait)
    await asyncio.sleep(_LOCK_POLL)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while a writer commits; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_connector(
    _dialect: Any, _record: Any, _cargs: list[Any], cparams: dict[str, Any]
) -> None:
    cparams["async_creator_fn"] = _connect_sqlite


def _connect_sqlite(*args: Any, **kwargs: Any) -> Any:
    """aiosqlite's connect, which waits for its worker thread to end when the connect fails."""
    import aiosqlite

    connection = aiosqlite.connect(*args, **kwargs)
    thread = getattr(connection, "_thread", None)  # aiosqlite >= 0.22 (private, as SQLAlchemy uses)
    if thread is None:
        return connection
    thread.daemon = True  # as SQLAlchemy's own connect does: never hold up exit
    return _connected_or_stopped(connection, thread)


async def _connected_or_stopped(connection: Any, thread: threading.Thread) -> Any:
    try:
        return await connection
    except BaseException:
        # A failed connect queues the thread's stop without waiting for it (aiosqlite 0.22); if
        # the loop closed first, the thread would print a traceback answering it on stderr.
        for _ in range(2000):  # the stop is next in its queue: a few ms at most, 2 s at worst
            if not thread.is_alive():
                break
            await asyncio.sleep(0.001)
        raise


def create_engine(database_url: str, *, pool_size: int | None = None, **kwargs: Any) -> AsyncEngine:
    """Open an async engine; for a SQLite file, create its folder and switch on WAL.

    `pool_size` connections are kept open and no more are made (no overflow): a burst beyond it
    waits for a free connection instead of opening and closing new ones (connection churn).
    """
    url = make_url(database_url)
    if pool_size is not None and url.database not in (None, "", ":memory:"):
        kwargs.setdefault("pool_size", pool_size)
        kwargs.setdefault("max_overflow", 0)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "do_connect", _sqlite_connector)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    """A session factory whose objects stay readable after commit."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, pointing at store/migrations, optionally bound to a connection."""
    # Alembic and mako cost ~0.13 s to import: only when there is something to migrate.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade_sync(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


def _current_revision_sync(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return None if row is None else str(row[0])


_REVISION_LINE = re.compile(
    r"^(down_revision|revision)\b[^=]*=\s*(?:\(\s*)?(None|[\"'][^\"']*[\"'])", re.MULTILINE
)


@functools.cache
def head_revision() -> str | None:
    """The newest Alembic revision this code knows, read from the migration files' headers.

    The revision that no other migration names as its down_revision; reading the files takes
    about a millisecond, where asking Alembic would import it and mako first.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((m[0], m[1].strip("\"'")) for m in _REVISION_LINE.findall(path.read_text()))
        if "revision" in found:
            revisions.add(found["revision"])
            if found.get("down_revision", "None") != "None":
                parents.add(found["down_revision"])
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


async def upgrade_schema(engine: AsyncEngine) -> None:
    """Bring the schema up to the newest Alembic revision (no-op when already there)."""
    if await current_revision(engine) == head_revision():
        return
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade_sync)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The Alembic revision the database is at, or None for an empty database."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current_revision_sync)
