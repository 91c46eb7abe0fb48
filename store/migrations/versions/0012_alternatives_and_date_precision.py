"""Where sources disagree: alternative values per field, date precision, ranges of people.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_TABLES = ("news_update", "position", "exchange", "talk_round", "document")


def upgrade() -> None:
    """Create fact_alternative; add date precision to every fact table and ranges to counts."""
    op.create_table(
        "fact_alternative",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fact_kind", sa.String(length=16), nullable=False),
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fact_alternative_fact", "fact_alternative", ["fact_kind", "fact_id"])
    # Plain ADD COLUMN (no batch): SQLite adds a column with a constant default in place, where
    # a batch copy would drop tables that exchange_count and others point at.
    for table in FACT_TABLES:
        op.add_column(
            table,
            sa.Column("date_precision", sa.String(length=8), nullable=False, server_default="day"),
        )
        op.add_column(table, sa.Column("date_until", sa.Date(), nullable=True))
        op.add_column(
            table,
            sa.Column("date_approx", sa.Boolean(), nullable=False, server_default=sa.false()),
        )
    op.add_column("exchange_count", sa.Column("returned_low", sa.Integer(), nullable=True))
    op.add_column("exchange_count", sa.Column("returned_high", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop the ranges, the date precision and fact_alternative."""
    # Plain DROP COLUMN (SQLite 3.35+), for the same reason as above.
    op.drop_column("exchange_count", "returned_high")
    op.drop_column("exchange_count", "returned_low")
    for table in FACT_TABLES:
        for column in ("date_approx", "date_until", "date_precision"):
            op.drop_column(table, column)
    op.drop_index("ix_fact_alternative_fact", table_name="fact_alternative")
    op.drop_table("fact_alternative")
