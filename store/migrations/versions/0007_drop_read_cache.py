"""Drop the read cache's facts version (migration 0004); index the current stances.

The read cache is gone (docs/benchmarks.md), so the triggers that bumped store_meta.facts on every
fact write, their PostgreSQL function and store_meta itself go. ix_position_current holds the
current stances only (partial), so /positions reads the one current stance per party and issue
instead of every stance ever taken.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Migration 0004's tables and key, copied: a migration must not change when later code does.
TABLES = (
    "party",
    "issue",
    "source",
    "citation",
    "talk_round",
    "news_update",
    "position",
    "exchange",
    "exchange_count",
    "search_doc",
)
KEY = "facts"
_BUMP = f"UPDATE store_meta SET value = value + 1 WHERE key = '{KEY}'"
_CURRENT = "superseded_by_id IS NULL AND retracted_at IS NULL"


def _partial(where: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}


def upgrade() -> None:
    """Drop 0004's triggers, function and store_meta; index the current stances."""
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS "{table}_facts_version" ON "{table}"')
            op.execute(f'DROP TRIGGER IF EXISTS "{table}_facts_version_truncate" ON "{table}"')
        op.execute("DROP FUNCTION IF EXISTS bump_facts_version()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f'DROP TRIGGER IF EXISTS "{table}_facts_version_{event}"')
    op.drop_table("store_meta")
    op.create_index(
        "ix_position_current", "position", ["issue_id", "party_id"], **_partial(_CURRENT)
    )


def downgrade() -> None:
    """Drop the index; recreate store_meta and 0004's triggers (as 0004's upgrade does)."""
    op.drop_index("ix_position_current", table_name="position")
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    # As in 0004: start at the time in microseconds, above any version used before.
    op.execute(f"INSERT INTO store_meta (key, value) VALUES ('{KEY}', {time.time_ns() // 1000})")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION bump_facts_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "IF current_setting('briefing.facts_bumped', true) = txid_current()::text THEN "
            "RETURN NULL; END IF; "
            "PERFORM set_config('briefing.facts_bumped', txid_current()::text, true); "
            f"{_BUMP}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f'CREATE TRIGGER "{table}_facts_version_truncate" AFTER TRUNCATE ON "{table}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION bump_facts_version()"
            )
            op.execute(
                f'CREATE CONSTRAINT TRIGGER "{table}_facts_version" '
                f'AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                "DEFERRABLE INITIALLY DEFERRED "
                "FOR EACH ROW EXECUTE FUNCTION bump_facts_version()"
            )
    else:
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f'CREATE TRIGGER "{table}_facts_version_{event.lower()}" '
                    f'AFTER {event} ON "{table}" BEGIN {_BUMP}; END'
                )
