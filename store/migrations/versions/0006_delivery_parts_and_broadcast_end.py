"""Delivery resumes: the parts of a briefing that went, and when a broadcast was finished.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("broadcast") as batch:
        batch.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    # Broadcasts sent before this revision are treated as finished: they are not resumed.
    op.execute("UPDATE broadcast SET finished_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("broadcast") as batch:
        batch.drop_column("finished_at")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("parts_sent")
