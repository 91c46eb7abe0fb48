"""Where sources disagree: alternative values per field, date precision, ranges of people.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0009"
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
    for table in FACT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "date_precision", sa.String(length=8), nullable=False, server_default="day"
                )
            )
            batch_op.add_column(sa.Column("date_until", sa.Date(), nullable=True))
            batch_op.add_column(
                sa.Column(
                    "date_approx", sa.Boolean(), nullable=False, server_default=sa.text("false")
                )
            )
    with op.batch_alter_table("exchange_count", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returned_low", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("returned_high", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop the ranges, the date precision and fact_alternative."""
    with op.batch_alter_table("exchange_count", schema=None) as batch_op:
        batch_op.drop_column("returned_high")
        batch_op.drop_column("returned_low")
    for table in FACT_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("date_approx")
            batch_op.drop_column("date_until")
            batch_op.drop_column("date_precision")
    op.drop_index("ix_fact_alternative_fact", table_name="fact_alternative")
    op.drop_table("fact_alternative")
