"""Yearly exchange totals kept on write: /exchanges reads one row per year.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

import json
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create exchange_year_total and fill it from the exchanges already stored."""
    op.create_table(
        "exchange_year_total",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("exchanges", sa.Integer(), nullable=False),
        sa.Column("per_party", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )
    bind = op.get_bind()
    live_completed = "e.retracted_at IS NULL AND e.status = 'completed'"
    exchanges: dict[int, int] = defaultdict(int)
    for (date,) in bind.execute(sa.text(f"SELECT e.date FROM exchange e WHERE {live_completed}")):
        exchanges[_year(date)] += 1
    sums: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for date, party_id, returned in bind.execute(
        sa.text(
            "SELECT e.date, c.party_id, c.returned FROM exchange e "
            f"JOIN exchange_count c ON c.exchange_id = e.id WHERE {live_completed}"
        )
    ):
        sums[_year(date)][party_id] += returned or 0
    table = sa.table(
        "exchange_year_total",
        sa.column("year", sa.Integer()),
        sa.column("exchanges", sa.Integer()),
        sa.column("per_party", sa.Text()),
    )
    rows = [
        {
            "year": year,
            "exchanges": n,
            "per_party": json.dumps([[p, t] for p, t in sorted(sums[year].items())]),
        }
        for year, n in sorted(exchanges.items())
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    """Drop exchange_year_total (the totals are computed from the exchanges again)."""
    op.drop_table("exchange_year_total")


def _year(date: object) -> int:
    # SQLite hands back the ISO text, PostgreSQL a date.
    return int(str(date)[:4])
