"""The async engine, sessions and schema upgrades (Alembic)."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from store.cache import CACHE_INFO_KEY, ReadCache

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

SessionFactory = async_sessionmaker[AsyncSession]
# The key of the PostgreSQL advisory lock held while one process migrates and seeds.
SETUP_LOCK_KEY = 0x5045414345  # "PEACE"


def _flock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


@asynccontextmanager
async def setup_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold a lock while migrating and seeding, so replicas started together take turns.

    PostgreSQL: a session-level advisory lock on a connection of its own. SQLite: an
    exclusive flock on `<database>.lock` beside the file (released by the OS if we die).
    """
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SETUP_LOCK_KEY})
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SETUP_LOCK_KEY})
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    fd = await asyncio.to_thread(_flock, Path(f"{database}.lock"))
    try:
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while a writer commits; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """Open an async engine; for a SQLite file, create its folder and switch on WAL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_session_factory(
    engine: AsyncEngine, *, read_cache: ReadCache | None = None
) -> SessionFactory:
    """A session factory whose objects stay readable after commit, optionally with a ReadCache."""
    info = {} if read_cache is None else {CACHE_INFO_KEY: read_cache}
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, info=info)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, pointing at store/migrations, optionally bound to a connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade_sync(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _current_revision_sync(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return None if row is None else str(row[0])


def head_revision() -> str | None:
    """The newest Alembic revision this code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade_schema(engine: AsyncEngine) -> None:
    """Bring the schema up to the newest Alembic revision (no-op when already there)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade_sync)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The Alembic revision the database is at, or None for an empty database."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current_revision_sync)
