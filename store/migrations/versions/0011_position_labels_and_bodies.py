"""Positions get a short label for the /positions overview; yearly exchange totals count
returned bodies apart from living people (recounted from the stored exchanges).

Revision ID: 0011
Revises: 0009
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
down_revision: str | Sequence[str] | None = "0009"
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


def downgrade() -> None:
    """Drop position.label and the bodies columns; totals count bodies as people again."""
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
