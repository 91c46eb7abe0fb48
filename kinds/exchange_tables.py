"""Prisoner exchanges' tables: the exchange, its counts per side, stages by day, yearly totals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models import FactBase


class ExchangeStatus(StrEnum):
    """Whether an exchange was only agreed or has been carried out."""

    AGREED = "agreed"
    COMPLETED = "completed"


class Exchange(FactBase, table=True):
    """A prisoner exchange, agreed or carried out, with how many people each side got back."""

    __table_args__ = (Index("ix_exchange_date", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    date: dt.date
    end_date: dt.date | None = None
    categories: str = Field(default="", sa_type=Text, description="Comma-separated categories")
    mediator: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default=ExchangeStatus.COMPLETED.value, max_length=16)
    round_id: int | None = Field(default=None, foreign_key="talk_round.id")
    note: str | None = Field(default=None, sa_type=Text)


class ExchangeCount(SQLModel, table=True):
    """How many people one party got back in one exchange (None: not announced)."""

    __tablename__ = "exchange_count"
    __table_args__ = (UniqueConstraint("exchange_id", "party_id", name="uq_exchange_count"),)

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True)
    party_id: int = Field(foreign_key="party.id")
    returned: int | None = None  # the best figure; totals add these
    returned_low: int | None = None  # bounds, when sources give a range
    returned_high: int | None = None


class ExchangeStage(SQLModel, table=True):
    """How many people one party got back on one day of a multi-day exchange (migration 0011)."""

    __tablename__ = "exchange_stage"
    __table_args__ = (
        UniqueConstraint("exchange_id", "date", "party_id", name="uq_exchange_stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True)
    date: dt.date
    party_id: int = Field(foreign_key="party.id")
    returned: int | None = None


class ExchangeYearTotal(SQLModel, table=True):
    """Completed live exchanges of one year and the people each party got back in them.

    Kept up to date by every write of an exchange (create, correction, retraction, import), so
    /exchanges reads one row per year however many exchanges the store holds.
    """

    __tablename__ = "exchange_year_total"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    exchanges: int = 0
    per_party: str = Field(
        default="[]", sa_type=Text, description="JSON [[party_id, best, low, high]]"
    )
    # Returned bodies, counted apart from living people (migration 0011).
    body_returns: int = 0
    bodies: str = Field(
        default="[]", sa_type=Text, description="JSON [[party_id, best, low, high]]"
    )


BODIES = "bodies"  # the category of an exchange of the dead: counted apart from people


def is_bodies(categories: Sequence[str]) -> bool:
    """True for an exchange of returned bodies (its only category is `bodies`)."""
    return len(categories) == 1 and categories[0].casefold() == BODIES
