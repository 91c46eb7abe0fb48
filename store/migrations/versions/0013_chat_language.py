"""A chat's interface language, chosen with /language (NULL: the user's Telegram language).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add subscriber.language."""
    with op.batch_alter_table("subscriber") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    """Drop subscriber.language."""
    with op.batch_alter_table("subscriber") as batch:
        batch.drop_column("language")
