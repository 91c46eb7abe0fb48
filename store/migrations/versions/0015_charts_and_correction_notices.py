"""Chart file ids, the facts each chat was sent, correction notices, and their setting.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create chart_file, delivered_fact and correction_notice; subscriber.notices."""
    op.create_table(
        "chart_file",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("file_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "delivered_fact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=48), nullable=False),
        sa.Column("fact_kind", sa.String(length=16), nullable=False),
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "key", "fact_kind", "fact_id", name="uq_delivered_fact"),
    )
    op.create_index("ix_delivered_fact_fact", "delivered_fact", ["fact_kind", "fact_id"])
    op.create_index("ix_delivered_fact_sent_at", "delivered_fact", ["sent_at"])
    op.create_table(
        "correction_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=48), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("fact_kind", sa.String(length=16), nullable=False),
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit_entry.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "audit_id", name="uq_correction_notice"),
    )
    op.create_index("ix_correction_notice_key", "correction_notice", ["key", "chat_id"])
    with op.batch_alter_table("subscriber") as batch:
        batch.add_column(
            sa.Column("notices", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    """Drop the tables and the column again."""
    with op.batch_alter_table("subscriber") as batch:
        batch.drop_column("notices")
    op.drop_index("ix_correction_notice_key", table_name="correction_notice")
    op.drop_table("correction_notice")
    op.drop_index("ix_delivered_fact_sent_at", table_name="delivered_fact")
    op.drop_index("ix_delivered_fact_fact", table_name="delivered_fact")
    op.drop_table("delivered_fact")
    op.drop_table("chart_file")
