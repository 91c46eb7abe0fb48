"""Positions get a short label for the /positions overview; yearly exchange totals count
returned bodies apart from living people (recounted from the stored exchanges); an exchange
over several days keeps its stages (exchange_stage).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add position.label (None for existing stances: the overview cuts their text); recount."""
    with op.batch_alter_table("position") as batch:
        batch.add_column(sa.Column("label", sa.Text(), nullable=True))
    with op.batch_alter_table("exchange_year_total") as batch:
        batch.add_column(
            sa.Column("body_returns", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("bodies", sa.Text(), nullable=False, server_default="[]"))
    _recount(bodies_apart=True)
    op.create_table(
        "exchange_stage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("returned", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["exchange_id"], ["exchange.id"]),
        sa.ForeignKeyConstraint(["party_id"], ["party.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exchange_id", "date", "party_id", name="uq_exchange_stage"),
    )
    op.create_index("ix_exchange_stage_exchange_id", "exchange_stage", ["exchange_id"])


def downgrade() -> None:
    """Drop the stages, position.label and the bodies columns; bodies count as people again."""
    op.drop_index("ix_exchange_stage_exchange_id", table_name="exchange_stage")
    op.drop_table("exchange_stage")
    with op.batch_alter_table("exchange_year_total") as batch:
        batch.drop_column("bodies")
        batch.drop_column("body_returns")
    _recount(bodies_apart=False)
    with op.batch_alter_table("position") as batch:
        batch.drop_column("label")


def _recount(*, bodies_apart: bool) -> None:
    """Rewrite every year's totals from the live completed exchanges."""
    bind = op.get_bind()
    live = "e.retracted_at IS NULL AND e.status = 'completed'"
    exchanges: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    sums: dict[int, list[dict[int, int]]] = defaultdict(
        lambda: [defaultdict(int), defaultdict(int)]
    )
    rows = bind.execute(sa.text(f"SELECT e.id, e.date, e.categories FROM exchange e WHERE {live}"))
    kind_of: dict[int, int] = {}
    for exchange_id, date, categories in rows:
        kind = 1 if bodies_apart and (categories or "").strip().lower() == "bodies" else 0
        kind_of[exchange_id] = kind
        exchanges[_year(date)][kind] += 1
    counts = bind.execute(
        sa.text(
            "SELECT e.id, e.date, c.party_id, c.returned FROM exchange e "
            f"JOIN exchange_count c ON c.exchange_id = e.id WHERE {live}"
        )
    )
    for exchange_id, date, party_id, returned in counts:
        sums[_year(date)][kind_of[exchange_id]][party_id] += returned or 0
    bind.execute(sa.text("DELETE FROM exchange_year_total"))
    columns: list[sa.ColumnClause[object]] = [
        sa.column("year", sa.Integer()),
        sa.column("exchanges", sa.Integer()),
        sa.column("per_party", sa.Text()),
    ]
    if bodies_apart:
        columns += [sa.column("body_returns", sa.Integer()), sa.column("bodies", sa.Text())]
    table = sa.table("exchange_year_total", *columns)
    out: list[dict[str, object]] = []
    for year, (people, dead) in sorted(exchanges.items()):
        row = {
            "year": year,
            "exchanges": people,
            "per_party": json.dumps([[p, t] for p, t in sorted(sums[year][0].items())]),
        }
        if bodies_apart:
            row["body_returns"] = dead
            row["bodies"] = json.dumps([[p, t] for p, t in sorted(sums[year][1].items())])
        out.append(row)
    if out:
        op.bulk_insert(table, out)


def _year(value: object) -> int:
    """A stored date's year (SQLite returns text, PostgreSQL a date)."""
    return value.year if isinstance(value, dt.date) else int(str(value)[:4])
