"""Positions get a short label for the /positions overview.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add position.label (None for existing stances: the overview cuts their text)."""
    with op.batch_alter_table("position") as batch:
        batch.add_column(sa.Column("label", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop position.label."""
    with op.batch_alter_table("position") as batch:
        batch.drop_column("label")
