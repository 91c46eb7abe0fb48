"""A facts version: one counter that every write to a shown table bumps, for the read cache.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import time
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables the read commands show, as of this revision (store.models.FACTS_VERSION_KEY is
# the key); a migration keeps its own copy so that later model changes cannot alter it.
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


def upgrade() -> None:
    """Add store_meta with the facts counter and the triggers that bump it on every write."""
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    # Start at the time in microseconds (writes add 1): a database created anew later never
    # reuses a version number a running process may still have cached answers under.
    op.execute(f"INSERT INTO store_meta (key, value) VALUES ('{KEY}', {time.time_ns() // 1000})")
    if op.get_bind().dialect.name == "postgresql":
        # Deferred to commit and once per transaction: the store_meta row is locked only for
        # the instant before COMMIT, so fact writers never wait on it mid-transaction (nor
        # deadlock through it), and a bulk import bumps the counter once.
        op.execute(
            "CREATE FUNCTION bump_facts_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "IF current_setting('briefing.facts_bumped', true) = txid_current()::text THEN "
            "RETURN NULL; END IF; "
            "PERFORM set_config('briefing.facts_bumped', txid_current()::text, true); "
            f"{_BUMP}; RETURN NULL; END $$"
        )
        for table in TABLES:
            # TRUNCATE has no row triggers; it bumps at once (it locks the table anyway).
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
        # SQLite has only row-level triggers; one UPDATE of a one-row table costs microseconds.
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f'CREATE TRIGGER "{table}_facts_version_{event.lower()}" '
                    f'AFTER {event} ON "{table}" BEGIN {_BUMP}; END'
                )


def downgrade() -> None:
    """Drop the triggers, the function and store_meta."""
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
