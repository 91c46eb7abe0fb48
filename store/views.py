"""Read-only views every kind shares: a cited source, a page of a longer list."""

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
class Page(Generic[T]):
    """A slice of a longer list, with whether more lies beyond it."""

    items: list[T] = field(default_factory=list)
    offset: int = 0
    has_more: bool = False


@dataclass(frozen=True, slots=True)
class Alternative:
    """A value another source reports for one field of a fact."""

    field: str
    value: str
    source: SourceRef
