"""Editors' open forms in the draft table: an expiry, one open form per user and chat, and
broadcast drafts without a fact kind.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_FORM = sa.text("status = 'form'")


def upgrade() -> None:
    """Add draft.expires_at and the open-form index; broadcasts lose their made-up fact kind."""
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column("fact_kind", existing_type=sa.String(length=16), nullable=True)
        batch_op.create_index(
            "ux_draft_open_form",
            ["chat_id", "actor_id"],
            unique=True,
            sqlite_where=OPEN_FORM,
            postgresql_where=OPEN_FORM,
        )
    op.execute("UPDATE draft SET fact_kind = NULL WHERE action = 'broadcast'")


def downgrade() -> None:
    """Drop open forms, the index and the expiry; broadcasts get kind 'update' back."""
    op.execute("DELETE FROM draft WHERE status = 'form'")
    op.execute("UPDATE draft SET fact_kind = 'update' WHERE fact_kind IS NULL")
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_index("ux_draft_open_form")
        batch_op.alter_column("fact_kind", existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_column("expires_at")
