"""What any fact may carry beyond its kind's fields: a date's precision and other sources' values.

Every kind's view holds one `FactExtras` (read with the fact: the precision columns of FactBase and
`store.alternatives.alternatives_column`), and every kind's block renders it with the helpers
here, so "where sources disagree" is declared once for all kinds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.dates import format_date_range
from core.i18n import N_, _
from core.search_words import date_words
from core.text import clip, esc
from core.when import When, format_when, typed_when, when_from_iso
from kinds.common import key_label, same_text
from store.alternatives import parse_extras
from store.transfer import SourceIn
from store.translations import Texts
from store.views import Alternative, SourceRef

DIFFER = N_("⚖️ sources differ")
MAX_VERSIONS_SHOWN = 4


@dataclass(frozen=True, slots=True)
class FactExtras:
    """A fact's date precision (None: an exact day), the values other sources report, the
    language its own text is in and its translations ((language, field, text), sorted)."""

    when: When | None = None
    alternatives: tuple[Alternative, ...] = ()
    language: str = "en"
    translations: Texts = ()

    @property
    def differ(self) -> bool:
        """True when some source reports another value for a field of the fact."""
        return bool(self.alternatives)

    def fields(self) -> list[str]:
        """The fields other sources disagree on, in the order first recorded."""
        first: dict[str, str] = {}
        for alt in self.alternatives:
            first.setdefault(field_key(alt.field), alt.field)
        return list(first.values())


def field_key(name: str) -> str:
    """A field name as compared: 'Duration', 'duration' and 'DURATION' are one field."""
    return " ".join(name.casefold().replace("_", " ").split())


NO_EXTRAS = FactExtras()


def _stored_date(field: str, value: str) -> When | None:
    """Another source's date as the forms store it (ISO), or None (another field, or a date
    stored as typed before dates were kept as ISO)."""
    return when_from_iso(value) if field_key(field) == "date" else None


def alternative_text(field: str, value: str) -> str:
    """Another source's value as readers see it: a date in their format and language."""
    when = _stored_date(field, value)
    return format_when(when) if when else value


def alternative_words(field: str, value: str) -> str:
    """Another source's value as /search indexes it: a date as readers type one."""
    when = _stored_date(field, value)
    if when is None:
        return value
    return " ".join(date_words(day) for day in filter(None, [when.start, when.until]))


def row_when(row: Any, start: dt.date) -> When | None:
    """A stored fact's date precision, or None for an exact day."""
    when = When(start, row.date_precision or "day", row.date_until, bool(row.date_approx))
    return None if when.exact else when


def row_extras(row: Any, start: dt.date, raw_alternatives: Any) -> FactExtras:
    """The extras of a stored fact, from its row and its `alternatives_column` value."""
    when = row_when(row, start)
    alternatives, texts = parse_extras(raw_alternatives)
    language = getattr(row, "language", None) or "en"
    if not (when or alternatives or texts or language != "en"):
        return NO_EXTRAS
    return FactExtras(when, alternatives, language, texts)


def item_when(item: Any) -> When:
    """The date of an input item with its precision."""
    start: dt.date = getattr(item, item.date_field)
    return When(start, item.date_precision or "day", item.date_until, bool(item.date_approx))


def input_extras(item: Any) -> FactExtras:
    """The extras of a not-yet-stored item, as a preview shows them."""
    when = item_when(item)
    alternatives = tuple(
        Alternative(
            a.field,
            a.value,
            SourceRef(a.source.name, a.source.url, a.source.published)
            if isinstance(a.source, SourceIn)
            else SourceRef(a.source),
        )
        for a in item.alternatives or ()
    )
    texts = tuple(
        sorted(
            (lang, name, text)
            for lang, fields in (item.translations or {}).items()
            for name, text in fields.items()
        )
    )
    return FactExtras(None if when.exact else when, alternatives, item.language or "en", texts)


def apply_when(row: Any, item: Any) -> None:
    """Store an input item's date precision on its row."""
    row.date_precision = item.date_precision or "day"
    row.date_until = item.date_until
    row.date_approx = bool(item.date_approx)


def form_extras(snap: Mapping[str, Any], date_field: str) -> dict[str, str]:
    """A stored fact's precision and alternatives as an editor types them (for /edit)."""
    values: dict[str, str] = {}
    if snap.get("date_precision") or snap.get("date_approx"):
        until = snap.get("date_until")
        when = When(
            dt.date.fromisoformat(snap[date_field]),
            snap.get("date_precision") or "day",
            dt.date.fromisoformat(until) if until else None,
            bool(snap.get("date_approx")),
        )
        values["date"] = typed_when(when)
    lines = []
    for alt in snap.get("alternatives") or ():
        src = alt.get("source") or {}
        published = src.get("published")
        day = (
            format_when(When(dt.date.fromisoformat(published))).split(" ", 1)[1]
            if published
            else None
        )
        typed = ", ".join(filter(None, [src.get("name"), src.get("url"), day]))
        stored = _stored_date(alt["field"], alt["value"])
        value = typed_when(stored) if stored else alt["value"]
        lines.append(f"{alt['field']}: {value} | source: {typed}")
    if lines:
        values["also"] = "\n".join(lines)
    if snap.get("language"):
        values["language"] = str(snap["language"])
    for lang, fields in (snap.get("translations") or {}).items():
        for name, text in fields.items():
            values[f"{name} {lang}"] = text
    return values


# ---------------------------------------------------------------- rendering


def when_text(start: dt.date, extras: FactExtras, end: dt.date | None = None) -> str:
    """The fact's date as read: 'Mon 2 Jun 2025', 'May 2025', '~20–21 Nov 2025', or a span."""
    if extras.when is not None:
        return format_when(extras.when)
    return format_date_range(start, end)


def _source_label(src: SourceRef) -> str:
    name = esc(clip(src.name, 40))
    return f'<a href="{esc(src.url)}">{name}</a>' if src.url else name


def versions(
    extras: FactExtras,
    field: str,
    value: str | None,
    sources: Sequence[SourceRef] = (),
    limit: int = 80,
) -> str:
    """A field's value, and every other source's value: 'under an hour (Reuters) · … (TASS)'.

    Without alternatives it is just the escaped value. The stored value is credited to the
    alternatives that report the same, else to the fact's first source.
    """
    alts = [a for a in extras.alternatives if field_key(a.field) == field_key(field)]
    if not alts:
        return esc(clip(value or "", limit))
    groups: dict[str, list[SourceRef]] = {}
    if value:
        groups[value] = []
    for alt in alts:
        text = alternative_text(alt.field, alt.value)
        same = next((v for v in groups if same_text(v, text)), text)
        groups.setdefault(same, []).append(alt.source)
    if value and not groups[value] and sources:
        groups[value] = [sources[0]]
    shown = []
    for text, refs in list(groups.items())[:MAX_VERSIONS_SHOWN]:
        credit = ", ".join(_source_label(r) for r in dict.fromkeys(refs))
        shown.append(esc(clip(text, limit)) + (f" ({credit})" if credit else ""))
    more = len(groups) - MAX_VERSIONS_SHOWN
    tail = " · " + _("and {count} more").format(count=more) if more > 0 else ""
    return " · ".join(shown) + tail


def _main_value(view: Any, field: str) -> str | None:
    value = getattr(view, field_key(field).replace(" ", "_"), None)
    if isinstance(value, dt.date):
        return format_date_range(value, None)
    return str(value) if isinstance(value, str | int) and value != "" else None


def alternatives_lines(view: Any, skip: Collection[str] = ()) -> list[str]:
    """One line per field sources disagree on, every version with its source (HTML).

    'Duration: under an hour (Reuters) · a little over an hour (TASS)'. A full view of a fact
    shows them all; list blocks skip the fields they already show with `versions`.
    """
    extras: FactExtras = getattr(view, "extras", NO_EXTRAS)
    sources = getattr(view, "sources", ())
    return [
        f"{esc(key_label(field))}: "
        + versions(extras, field, _main_value(view, field), sources, limit=120)
        for field in extras.fields()
        if field_key(field) not in {field_key(f) for f in skip}
    ]


def differ_lines(view: Any, shown: Collection[str] = ()) -> list[str]:
    """For a list block: '⚖️ sources differ (duration)', then the versions not shown inline."""
    extras: FactExtras = getattr(view, "extras", NO_EXTRAS)
    if not extras.differ:
        return []
    fields = ", ".join(esc(clip(f.replace("_", " "), 40)) for f in extras.fields())
    return [f"{_(DIFFER)} <i>({fields})</i>", *alternatives_lines(view, skip=shown)]


SNAPSHOT_KEYS = frozenset(
    {"date_precision", "date_until", "date_approx", "alternatives", "language", "translations"}
)


def snapshot_when(snap: Mapping[str, Any], date_attr: str) -> str | None:
    """A snapshot's date as read ("May 2025", "23–25 May 2025"), or None for an exact day."""
    raw = snap.get(date_attr)
    if not isinstance(raw, str) or not (snap.get("date_precision") or snap.get("date_approx")):
        return None
    until = snap.get("date_until")
    when = When(
        dt.date.fromisoformat(raw[:10]),
        snap.get("date_precision") or "day",
        dt.date.fromisoformat(until[:10]) if isinstance(until, str) else None,
        bool(snap.get("date_approx")),
    )
    return None if when.exact else esc(format_when(when))


def snapshot_alternatives(snap: Mapping[str, Any]) -> list[str]:
    """Every other source's value of a snapshot, one line each: 'Duration: … (Anadolu)'."""
    lines = []
    for alt in snap.get("alternatives") or ():
        source = alt.get("source") or {}
        ref = SourceRef(name=source.get("name") or "?", url=source.get("url"))
        field = str(alt.get("field", ""))
        value = alternative_text(field, str(alt.get("value", "")))
        lines.append(f"{esc(key_label(field))}: {esc(value)} ({_source_label(ref)})")
    return lines
