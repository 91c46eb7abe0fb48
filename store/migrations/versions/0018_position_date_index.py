"""An index on positions by date: the newest stances are read without sorting them all.

`/translations missing` (and any newest-first read of positions) takes each kind's newest few
facts by its date index; positions were the one kind without one (migration 0007 indexed them
by issue and party only).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Index position by (as_of, id)."""
    op.create_index("ix_position_asof_id", "position", ["as_of", "id"], unique=False)


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_position_asof_id", table_name="position")
