"""Order within a day (an event time and the editor's lead on every fact), and search words.

Every fact table gets `event_time` (a time of day, optional) and `lead` (false by default).
Stored search documents get the words /search now indexes with every fact: its date as
readers type it ("2 June 2025 2025 06 02") and ordinals in word form ("3rd" -> "third").

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import datetime as dt
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_TABLES = ("talk_round", "news_update", "position", "exchange", "document")

# A frozen copy of core/search_words.py as of this revision.
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]
_NUMBERED = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
_ROUND_NUMBER = re.compile(r"\b(round|раунд)\s+(?:no\.?\s*|№\s*|#\s*)?(\d{1,2})\b", re.IGNORECASE)


def _words(body: str, day: dt.date) -> str:
    found = [int(m.group(1)) for m in _NUMBERED.finditer(body)]
    found += [int(m.group(2)) for m in _ROUND_NUMBER.finditer(body)]
    ordinals = " ".join(dict.fromkeys(_ORDINALS[n - 1] for n in found if 1 <= n <= 20))
    dated = f"{day.day} {_MONTHS[day.month - 1]} {day.year} {day:%Y %m %d}"
    return " ".join(filter(None, [body, dated, ordinals]))


def upgrade() -> None:
    """Add event_time and lead to every fact table; add date and ordinal words to search."""
    for table in FACT_TABLES:
        op.add_column(table, sa.Column("event_time", sa.Time(), nullable=True))
        op.add_column(
            table, sa.Column("lead", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, fact_date, body FROM search_doc")).all()
    for doc_id, fact_date, body in rows:
        day = fact_date if isinstance(fact_date, dt.date) else dt.date.fromisoformat(fact_date)
        bind.execute(
            sa.text("UPDATE search_doc SET body = :body WHERE id = :id"),
            {"body": _words(body, day), "id": doc_id},
        )


def downgrade() -> None:
    """Drop the columns (search documents keep their extra words; they only find more)."""
    for table in FACT_TABLES:
        for column in ("lead", "event_time"):
            op.execute(f'ALTER TABLE "{table}" DROP COLUMN {column}')
