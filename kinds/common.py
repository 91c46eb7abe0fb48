"""Rendering pieces every kind shares: sources, counts of people, an unsaved fact's sources."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.dates import format_date
from core.i18n import _, ngettext
from core.text import clip, esc, number
from store.transfer import SourceIn
from store.views import SourceRef

MAX_SOURCES_SHOWN = 3


def people(n: int | None) -> str:
    """A number of people, or that it was not announced."""
    if n is None:
        return "not announced"
    return f"{number(n)} {'person' if n == 1 else 'people'}"


def people_range(n: int | None, low: int | None = None, high: int | None = None) -> str:
    """A number of people known within bounds: 'about 1,000 people (900–1,100)'."""
    if low is None or high is None:
        return people(n)
    span = f"{number(low)}–{number(high)}"
    if n is None:
        return _("{span} people").format(span=span)
    return ngettext("about {count} person ({span})", "about {count} people ({span})", n).format(
        count=number(n), span=span
    )


def count_value(n: int | None, low: int | None = None, high: int | None = None) -> Any:
    """A stored count as the import format writes it: a number, None, or {low, best, high}."""
    if low is None or high is None:
        return n
    return {"low": low, "best": n, "high": high} if n is not None else {"low": low, "high": high}


def source_line(sources: Sequence[SourceRef]) -> str:
    """'Source: Reuters, 2 Jun 2025' with links where known; says so when there is none."""
    if not sources:
        return "⚠️ <i>No source on file.</i>"
    parts = []
    for src in sources[:MAX_SOURCES_SHOWN]:
        name = esc(clip(src.name, 60))
        label = f'<a href="{esc(src.url)}">{name}</a>' if src.url else name
        if src.published:
            label += f", {format_date(src.published)}"
        parts.append(label)
    more = len(sources) - MAX_SOURCES_SHOWN
    tail = f" and {more} more" if more > 0 else ""
    noun = "Source" if len(sources) == 1 else "Sources"
    return f"<i>{noun}:</i> " + "; ".join(parts) + tail


def input_sources(item: Any) -> tuple[SourceRef, ...]:
    """The inline sources of a not-yet-stored item, as a preview shows them."""
    return tuple(
        SourceRef(name=s.name, url=s.url, published=s.published)
        for s in item.sources
        if isinstance(s, SourceIn)
    )


def same_text(a: str, b: str) -> bool:
    """True when two texts differ only in case and spacing (for duplicate checks)."""
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())
