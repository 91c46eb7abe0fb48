"""Rendering pieces every kind shares: sources, counts of people, an unsaved fact's sources."""

from __future__ import annotations

import datetime as dt
import re
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
        return _("not announced")
    return ngettext("{n} person", "{n} people", n).format(n=number(n))


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
        return _("⚠️ <i>No source on file.</i>")
    parts = []
    for src in sources[:MAX_SOURCES_SHOWN]:
        name = esc(clip(src.name, 60))
        label = f'<a href="{esc(src.url)}">{name}</a>' if src.url else name
        if src.published:
            label += f", {format_date(src.published)}"
        parts.append(label)
    more = len(sources) - MAX_SOURCES_SHOWN
    tail = " " + _("and {n} more").format(n=more) if more > 0 else ""
    noun = _("Source") if len(sources) == 1 else _("Sources")
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


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def full_value(value: Any) -> str:
    """A snapshot value in full, as HTML: ISO dates read as dates, lists and maps spelled out."""
    if value is None or value in ("", [], {}):
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return number(value)
    if isinstance(value, str):
        if _ISO_DAY.fullmatch(value):
            return format_date(dt.date.fromisoformat(value))
        return esc(value)
    if isinstance(value, dict):
        return "; ".join(f"{esc(k)}: {full_value(v) or '—'}" for k, v in value.items())
    if isinstance(value, list | tuple):
        if all(isinstance(item, dict) for item in value):
            return "; ".join(
                " — ".join(full_value(v) for v in item.values() if v not in (None, ""))
                for item in value
            )
        return esc(", ".join(str(item) for item in value))
    return esc(value)


def key_label(key: str) -> str:
    """A field's label in the reader's language ("duration" -> "Duration", "Тривалість"): the
    kinds' field labels are in the catalogs; a free label reads as typed ("Number of points")."""
    words = key.replace("_", " ").strip()
    return _(words[:1].upper() + words[1:]) if words else ""  # _("") is the catalog's header


def full_round(value: Any) -> str:
    """A snapshot's round ("R1 Second round…") as its title and the id /show opens."""
    ref, _, title = str(value).partition(" ")
    return f"{esc(title)} · <code>{esc(ref)}</code>" if title else f"<code>{esc(ref)}</code>"
