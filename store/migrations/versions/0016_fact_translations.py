"""Facts in several languages: fact_translation, and each fact's original language.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_TABLES = ("news_update", "position", "exchange", "talk_round", "document")


def upgrade() -> None:
    """Create fact_translation; add `language` (default "en") to every fact table."""
    op.create_table(
        "fact_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fact_kind", sa.String(length=16), nullable=False),
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "fact_kind", "fact_id", "field", "language", name="uq_fact_translation_field"
        ),
    )
    # Plain ADD COLUMN with a constant default (see 0012: no batch copy of fact tables).
    for table in FACT_TABLES:
        op.add_column(
            table,
            sa.Column("language", sa.String(length=8), nullable=False, server_default="en"),
        )


def downgrade() -> None:
    """Drop the languages and fact_translation."""
    for table in FACT_TABLES:
        op.drop_column(table, "language")
    op.drop_table("fact_translation")
