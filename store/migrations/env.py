"""Alembic environment: runs on the connection the app hands over, or on DATABASE_URL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the shared tables on SQLModel.metadata)

# Every table: the store's (store.models, above) and each kind's. A kind's tables are declared
# with its spec in kinds/, above the store, which may import only core; so they join this
# metadata when whoever runs Alembic has imported kinds.registry: the app and `python -m bot`
# do before they migrate, and tests/test_schema.py runs `alembic check` that way, so a model
# and the migrations that differ fail the tests. Migrations are written by hand; to have one
# drafted, import the kinds first (DATABASE_URL at the newest revision):
#   python -c "import kinds.registry; from alembic import command; from store.db import
#   alembic_config; command.revision(alembic_config(), 'what', autogenerate=True)"
target_metadata = SQLModel.metadata


class MissingModels(RuntimeError):
    """A stored table has no model here: comparing now would propose dropping it."""


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # The full-text index lives outside the models (FTS5 tables, the tsvector column, its index).
    if type_ == "table" and name and name.startswith("search_fts"):
        return False
    if type_ == "table" and reflected and compare_to is None and name != "alembic_version":
        raise MissingModels(
            f"table {name} is in the database but in no model: import kinds.registry before "
            "comparing (a table is dropped by a migration written by hand)"
        )
    if type_ == "index" and name == "ix_search_doc_tsv":
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
