"""Correction notices per forum topic: delivered_fact and correction_notice get thread_id.

What each chat was sent, and the notices queued for it, are kept per (chat, topic) like the
subscribers and the ledger (0014); rows already stored become the chat's own (thread 0).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add thread_id (0 for every stored row) to both tables and to their keys."""
    with op.batch_alter_table("delivered_fact") as batch:
        batch.add_column(
            sa.Column("thread_id", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.drop_constraint("uq_delivered_fact", type_="unique")
        batch.create_unique_constraint(
            "uq_delivered_fact_topic", ["chat_id", "thread_id", "key", "fact_kind", "fact_id"]
        )
    with op.batch_alter_table("correction_notice") as batch:
        batch.add_column(
            sa.Column("thread_id", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.drop_constraint("uq_correction_notice", type_="unique")
        batch.create_unique_constraint(
            "uq_correction_notice_topic", ["chat_id", "thread_id", "audit_id"]
        )
        batch.drop_index("ix_correction_notice_key")
        batch.create_index("ix_correction_notice_key", ["key", "chat_id", "thread_id"])


def downgrade() -> None:
    """Back to one record per chat: the rows of forum topics go."""
    op.execute("DELETE FROM correction_notice WHERE thread_id <> 0")
    op.execute("DELETE FROM delivered_fact WHERE thread_id <> 0")
    with op.batch_alter_table("correction_notice") as batch:
        batch.drop_index("ix_correction_notice_key")
        batch.create_index("ix_correction_notice_key", ["key", "chat_id"])
        batch.drop_constraint("uq_correction_notice_topic", type_="unique")
        batch.create_unique_constraint("uq_correction_notice", ["chat_id", "audit_id"])
        batch.drop_column("thread_id")
    with op.batch_alter_table("delivered_fact") as batch:
        batch.drop_constraint("uq_delivered_fact_topic", type_="unique")
        batch.create_unique_constraint(
            "uq_delivered_fact", ["chat_id", "key", "fact_kind", "fact_id"]
        )
        batch.drop_column("thread_id")
