"""Initial schema: parties, issues, sources, facts, citations, search and subscribers.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "search_doc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fact_kind", sa.String(length=16), nullable=False),
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("fact_date", sa.Date(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fact_kind", "fact_id", name="uq_search_doc_fact"),
    )
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sa.UniqueConstraint("name", "url", "published", name="uq_source_identity"),
    )
    op.create_table(
        "subscriber",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_type", sa.String(length=16), nullable=False),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    op.create_table(
        "talk_round",
        sa.Column("key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("venue", sa.Text(), nullable=True),
        sa.Column("mediator", sa.Text(), nullable=True),
        sa.Column("delegations", sa.Text(), nullable=False),
        sa.Column("duration", sa.Text(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("talk_round", schema=None) as batch_op:
        batch_op.create_index("ix_talk_round_date", ["date"], unique=False)

    op.create_table(
        "citation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fact_kind", sa.String(length=16), nullable=False),
        sa.Column("fact_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fact_kind", "fact_id", "source_id", name="uq_citation"),
    )
    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.create_index("ix_citation_fact", ["fact_kind", "fact_id"], unique=False)

    op.create_table(
        "exchange",
        sa.Column("key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("mediator", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["talk_round.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.create_index("ix_exchange_date", ["date"], unique=False)

    op.create_table(
        "news_update",
        sa.Column("key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["talk_round.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("news_update", schema=None) as batch_op:
        batch_op.create_index("ix_news_update_date_id", ["date", "id"], unique=False)

    op.create_table(
        "position",
        sa.Column("key", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retraction_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("stance", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["party.id"],
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["position.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.create_index(
            "ix_position_party_issue_asof", ["party_id", "issue_id", "as_of"], unique=False
        )

    op.create_table(
        "exchange_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["exchange_id"],
            ["exchange.id"],
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["party.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exchange_id", "party_id", name="uq_exchange_count"),
    )
    with op.batch_alter_table("exchange_count", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exchange_count_exchange_id"), ["exchange_id"], unique=False
        )

    _create_search_index()


def _create_search_index() -> None:
    """Full-text index over search_doc: FTS5 on SQLite, a generated tsvector on PostgreSQL."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(body, content='search_doc', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
        )
        # Keep the external-content FTS table in step with search_doc.
        op.execute(
            "CREATE TRIGGER search_doc_ai AFTER INSERT ON search_doc BEGIN "
            "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_doc_ad AFTER DELETE ON search_doc BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, body) "
            "VALUES ('delete', old.id, old.body); END"
        )
        op.execute(
            "CREATE TRIGGER search_doc_au AFTER UPDATE ON search_doc BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, body) VALUES ('delete', old.id, old.body); "
            "INSERT INTO search_fts(rowid, body) VALUES (new.id, new.body); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE search_doc ADD COLUMN tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', body)) STORED"
        )
        op.execute("CREATE INDEX ix_search_doc_tsv ON search_doc USING gin (tsv)")


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    with op.batch_alter_table("exchange_count", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_count_exchange_id"))

    op.drop_table("exchange_count")
    with op.batch_alter_table("position", schema=None) as batch_op:
        batch_op.drop_index("ix_position_party_issue_asof")

    op.drop_table("position")
    with op.batch_alter_table("news_update", schema=None) as batch_op:
        batch_op.drop_index("ix_news_update_date_id")

    op.drop_table("news_update")
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.drop_index("ix_exchange_date")

    op.drop_table("exchange")
    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.drop_index("ix_citation_fact")

    op.drop_table("citation")
    with op.batch_alter_table("talk_round", schema=None) as batch_op:
        batch_op.drop_index("ix_talk_round_date")

    op.drop_table("talk_round")
    op.drop_table("subscriber")
    op.drop_table("source")
    op.drop_table("search_doc")
    op.drop_table("party")
    op.drop_table("issue")
