"""Read-only views of facts, as handlers and briefings show them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One cited source."""

    name: str
    url: str | None = None
    published: dt.date | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateView:
    """A news update with its sources."""

    id: int
    date: dt.date
    headline: str
    summary: str
    tags: tuple[str, ...] = ()
    sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class PositionView:
    """A party's stance on an issue as of a date."""

    id: int
    party: str
    issue: str
    stance: str
    as_of: dt.date
    superseded_by_id: int | None = None
    sources: tuple[SourceRef, ...] = ()

    @property
    def is_current(self) -> bool:
        """True when no newer stance of the same party on the same issue exists."""
        return self.superseded_by_id is None


@dataclass(frozen=True, slots=True)
class ReturnedCount:
    """How many people one party got back (None: not announced)."""

    party: str
    returned: int | None


@dataclass(frozen=True, slots=True)
class ExchangeView:
    """A prisoner exchange with its per-party counts."""

    id: int
    date: dt.date
    end_date: dt.date | None
    status: str
    counts: tuple[ReturnedCount, ...] = ()
    categories: tuple[str, ...] = ()
    mediator: str | None = None
    note: str | None = None
    round_title: str | None = None
    round_date: dt.date | None = None
    sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Delegation:
    """Who led one party's delegation."""

    party: str
    head: str


@dataclass(frozen=True, slots=True)
class RoundView:
    """A round of talks."""

    id: int
    date: dt.date
    end_date: dt.date | None
    title: str
    place: str
    venue: str | None = None
    mediator: str | None = None
    delegations: tuple[Delegation, ...] = ()
    duration: str | None = None
    outcome: str = ""
    sources: tuple[SourceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class YearTotals:
    """People returned to each party in one year's completed exchanges."""

    year: int
    per_party: tuple[ReturnedCount, ...] = ()
    exchanges: int = 0


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """A slice of a longer list, with whether more lies beyond it."""

    items: list[T] = field(default_factory=list)
    offset: int = 0
    has_more: bool = False


Fact = UpdateView | PositionView | ExchangeView | RoundView
