"""Forum topics, channels and interests: a subscriber is a chat and a topic (thread 0: the chat).

Each (chat, topic) has its own subscription, and the ledger keeps one briefing per (chat,
topic, day). A subscription may name the issues and kinds it follows, whether breaking news
goes there, and (for a channel) its @username.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Key subscribers and ledger rows by chat and thread; add interests, news and username."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    with (
        warnings.catch_warnings(),
        op.batch_alter_table("subscriber", recreate="always" if sqlite else "auto") as batch,
    ):
        # SQLite's copy reads chat_id as the key; SQLAlchemy warns that the named key replaces it.
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_subscriber' specifies columns")
        batch.add_column(
            sa.Column("thread_id", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("interests", sa.Text(), nullable=True))
        batch.add_column(sa.Column("news", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("username", sa.String(length=64), nullable=True))
        if not sqlite:
            batch.drop_constraint("subscriber_pkey", type_="primary")
        batch.create_primary_key("pk_subscriber", ["chat_id", "thread_id"])
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(
            sa.Column("thread_id", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.drop_constraint("uq_delivery_chat_key", type_="unique")
        batch.create_unique_constraint(
            "uq_delivery_chat_thread_key", ["chat_id", "thread_id", "key"]
        )


def downgrade() -> None:
    """Back to one subscription per chat: topic subscriptions and their ledger rows go."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("DELETE FROM delivery WHERE thread_id <> 0")
    op.execute("DELETE FROM subscriber WHERE thread_id <> 0")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_constraint("uq_delivery_chat_thread_key", type_="unique")
        batch.create_unique_constraint("uq_delivery_chat_key", ["chat_id", "key"])
        batch.drop_column("thread_id")
    with (
        warnings.catch_warnings(),
        op.batch_alter_table("subscriber", recreate="always" if sqlite else "auto") as batch,
    ):
        warnings.filterwarnings("ignore", "Table '_alembic_tmp_subscriber' specifies columns")
        if not sqlite:
            batch.drop_constraint("pk_subscriber", type_="primary")
        batch.create_primary_key("subscriber_pkey", ["chat_id"])
        batch.drop_column("username")
        batch.drop_column("news")
        batch.drop_column("interests")
        batch.drop_column("thread_id")
