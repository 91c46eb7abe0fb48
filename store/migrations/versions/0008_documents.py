"""Documents on the negotiating table: a new fact kind, with its authors and issues.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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


def downgrade() -> None:
    """Drop the document tables, and every row elsewhere that names a document."""
    for table in ("citation", "search_doc", "audit_entry", "draft"):
        op.execute(f"DELETE FROM {table} WHERE fact_kind = 'document'")
    for table in ("document_issue", "document_author", "document"):
        op.drop_table(table)
