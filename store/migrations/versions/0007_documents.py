"""Documents on the negotiating table: a new fact kind, with its authors and issues.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("document", "document_author", "document_issue")


def upgrade() -> None:
    """Create document, document_author and document_issue."""
    op.create_table(
        "document",
        sa.Column("key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("doc_type", sa.String(length=100), nullable=True),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["talk_round.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_document_date", "document", ["date"])
    for table, column, target in (
        ("document_author", "party_id", "party"),
        ("document_issue", "issue_id", "issue"),
    ):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("document_id", sa.Integer(), nullable=False),
            sa.Column(column, sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
            sa.ForeignKeyConstraint([column], [f"{target}.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("document_id", column, name=f"uq_{table}"),
        )
        op.create_index(f"ix_{table}_document_id", table, ["document_id"])
    _facts_version_triggers(create=True)


def downgrade() -> None:
    """Drop the document tables."""
    _facts_version_triggers(create=False)
    for table in ("document_issue", "document_author", "document"):
        op.drop_table(table)


def _facts_version_triggers(*, create: bool) -> None:
    # The read cache's facts version (migration 0004) must move on every write to these too.
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres and create:
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
        elif postgres:
            op.execute(f'DROP TRIGGER IF EXISTS "{table}_facts_version" ON "{table}"')
            op.execute(f'DROP TRIGGER IF EXISTS "{table}_facts_version_truncate" ON "{table}"')
        else:
            for event in ("insert", "update", "delete"):
                if create:
                    op.execute(
                        f'CREATE TRIGGER "{table}_facts_version_{event}" AFTER {event.upper()} '
                        f'ON "{table}" BEGIN UPDATE store_meta SET value = value + 1 '
                        "WHERE key = 'facts'; END"
                    )
                else:
                    op.execute(f'DROP TRIGGER IF EXISTS "{table}_facts_version_{event}"')
