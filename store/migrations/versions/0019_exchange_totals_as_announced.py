"""Yearly exchange totals keep what was announced, no more: each side's best figure, low and
high bound ([[party_id, best, low, high]], recounted from the stored exchanges), so a side with
no number reads "not announced" and one with an unannounced exchange "at least N", not a sum
that counted the missing numbers as 0 and left ranges out.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "e.retracted_at IS NULL AND e.status = 'completed'"


def upgrade() -> None:
    """Recount every year's sides as [party_id, best, low, high]."""
    _recount(as_announced=True)


def downgrade() -> None:
    """Recount every year's sides as [party_id, sum], a missing number counted as 0 (as before)."""
    _recount(as_announced=False)


def _recount(*, as_announced: bool) -> None:
    """Rewrite the sides of every stored year from the live completed exchanges."""
    bind = op.get_bind()
    kind_of: dict[int, tuple[int, str]] = {}  # exchange -> (year, "per_party" or "bodies")
    exchanges: dict[tuple[int, str], int] = defaultdict(int)
    rows = bind.execute(sa.text(f"SELECT e.id, e.date, e.categories FROM exchange e WHERE {LIVE}"))
    for exchange_id, date, categories in rows:
        kind = "bodies" if (categories or "").strip().lower() == "bodies" else "per_party"
        kind_of[exchange_id] = (_year(date), kind)
        exchanges[kind_of[exchange_id]] += 1
    # (year, kind) -> party -> [best sum, best count, low sum, low count, high sum, high count]
    sums: dict[tuple[int, str], dict[int, list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0] * 6)
    )
    counts = bind.execute(
        sa.text(
            "SELECT e.id, c.party_id, c.returned, c.returned_low, c.returned_high "
            f"FROM exchange e JOIN exchange_count c ON c.exchange_id = e.id WHERE {LIVE}"
        )
    )
    for exchange_id, party_id, best, low, high in counts:
        acc = sums[kind_of[exchange_id]][party_id]
        # A plain number is its own bounds; a range adds its bounds (and best figure, if any).
        terms = (best, best if low is None else low, best if high is None else high)
        for i, value in enumerate(terms):
            if value is not None:
                acc[2 * i] += value
                acc[2 * i + 1] += 1
    table = sa.table(
        "exchange_year_total",
        sa.column("year", sa.Integer()),
        sa.column("per_party", sa.Text()),
        sa.column("bodies", sa.Text()),
    )
    years = bind.execute(sa.text("SELECT year FROM exchange_year_total")).scalars().all()
    for year in years:
        values = {}
        for kind in ("per_party", "bodies"):
            n = exchanges[(year, kind)]
            sides = []
            for party_id, acc in sorted(sums[(year, kind)].items()):
                if as_announced:  # a best figure or upper bound only when every exchange gave one
                    best = acc[0] if acc[1] == n else None
                    high = acc[4] if acc[5] == n else None
                    sides.append([party_id, best, acc[2] if acc[3] else None, high])
                else:
                    sides.append([party_id, acc[0]])
            values[kind] = json.dumps(sides)
        bind.execute(table.update().where(table.c.year == year).values(**values))


def _year(value: object) -> int:
    """A stored date's year (SQLite returns text, PostgreSQL a date)."""
    return value.year if isinstance(value, dt.date) else int(str(value)[:4])
