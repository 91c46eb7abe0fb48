"""Subscriptions (time, zone, quiet, active), the delivery ledger, runs and broadcasts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema (existing subscribers get quiet off, active, no failures)."""
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=48), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "key", name="uq_delivery_chat_key"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_run", ["run_id"], unique=False)
        batch_op.create_index("ix_delivery_status_lease", ["status", "lease_until"], unique=False)

    op.create_table(
        "delivery_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.Integer(), nullable=False),
        sa.Column("unknown", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("news_update", schema=None) as batch_op:
        batch_op.create_index("ix_news_update_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_news_update_updated_at", ["updated_at"], unique=False)
        batch_op.create_index(
            "ix_news_update_retracted_at",
            ["retracted_at"],
            unique=False,
            sqlite_where=sa.text("retracted_at IS NOT NULL"),
            postgresql_where=sa.text("retracted_at IS NOT NULL"),
        )
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.add_column(sa.Column("briefing_time", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("quiet", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("last_briefing_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_subscriber_slot", ["subscribed", "briefing_time", "timezone"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("subscriber", schema=None) as batch_op:
        batch_op.drop_index("ix_subscriber_slot")
        batch_op.drop_column("last_briefing_at")
        batch_op.drop_column("failures")
        batch_op.drop_column("active")
        batch_op.drop_column("quiet")
        batch_op.drop_column("timezone")
        batch_op.drop_column("briefing_time")

    with op.batch_alter_table("news_update", schema=None) as batch_op:
        batch_op.drop_index("ix_news_update_retracted_at")
        batch_op.drop_index("ix_news_update_updated_at")
        batch_op.drop_index("ix_news_update_created_at")
    op.drop_table("delivery_run")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_status_lease")
        batch_op.drop_index("ix_delivery_run")

    op.drop_table("delivery")
    op.drop_table("broadcast")
