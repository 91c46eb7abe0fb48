"""Alembic environment: runs on the connection the app hands over, or on DATABASE_URL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the shared tables on SQLModel.metadata)

# Migrations are written by hand. Each kind's tables are declared in kinds/, above the store:
# they join this metadata whenever the app has imported kinds.registry (as `python -m bot` does),
# which is what `alembic revision --autogenerate` needs to compare against.
target_metadata = SQLModel.metadata


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # The full-text index lives outside the models (FTS5 tables, the tsvector column).
    if type_ == "table" and name and name.startswith("search_fts"):
        return False
    return not (type_ == "column" and name == "tsv")


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_from_settings() -> None:
    from core.settings import Settings
    from store.db import create_engine

    engine = create_engine(Settings().database_url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
elif context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `python -m bot migrate`")
else:
    asyncio.run(_run_from_settings())
