"""A stored fact's snapshot (kinds/audit.py) as labelled fields and readable changes."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.dates import format_date
from core.i18n import N_, _
from core.text import number
from kinds.day_order import DAY_LABELS
from kinds.registry import AnySpec

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

# Bookkeeping a reader does not need as a field (retraction is shown as a banner instead).
HIDDEN = frozenset(
    {"sources", "retracted_at", "retraction_reason", "superseded_by_id", "round_id", "updated_at"}
    # The page shows the text in its language (web/pages.py `localized_snapshot`), not the rest.
    | {"translations", "language"}
)
LABELS = {
    "as_of": N_("As of"),
    "end_date": N_("Until"),
    "duration_minutes": N_("Duration (minutes)"),
    "returned": N_("People returned"),
    "type": N_("Type of document"),
    **DAY_LABELS,  # "Lead story of the day", not "Lead"
}
# Stored codes shown as words ("handed_over" → "handed over").
CODED = frozenset({"status", "type"})


@dataclass(frozen=True, slots=True)
class Field:
    """One labelled field of a fact."""

    name: str
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field an edit changed, as the reader sees it before and after."""

    label: str
    before: str
    after: str


def snapshot_data(raw: str | None) -> dict[str, Any]:
    """An audit entry's stored snapshot (JSON) as a dict; empty when missing or unreadable."""
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def label_of(name: str) -> str:
    """A field's label, e.g. 'as_of' → 'As of'."""
    known = LABELS.get(name)
    return _(known) if known else _(name.replace("_", " ").capitalize())


def value_text(value: Any, *, coded: bool = False) -> str:
    """A snapshot value as text: dates unambiguous, lists joined, missing numbers said so."""
    if value is None:
        return _("not announced")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return number(int(value)) if float(value).is_integer() else f"{value:,}"
    if isinstance(value, str):
        if _ISO_DAY.match(value):
            return format_date(dt.date.fromisoformat(value))
        if _ISO_STAMP.match(value):
            at = dt.datetime.fromisoformat(value)
            return f"{format_date(at.date())} {at:%H:%M} UTC"
        return value.replace("_", " ") if coded else value
    if isinstance(value, Mapping):
        if set(value) <= {"party", "head"}:
            return f"{value.get('party') or '?'}: {value_text(value.get('head'))}"
        if set(value) >= {"name"}:  # a source
            parts = [str(value["name"]), value.get("url"), value.get("published")]
            return ", ".join(value_text(p) for p in parts if p)
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        joiner = "; " if any(isinstance(v, Mapping) for v in value) else ", "
        return joiner.join(value_text(v, coded=coded) for v in value) or "—"
    return str(value)


def fact_fields(spec: AnySpec, snap: Mapping[str, Any]) -> list[Field]:
    """Every field a reader may want, the kind's title and date first."""
    first = ["headline", "title", spec.title_attr, spec.date_attr]
    names = [n for n in dict.fromkeys([*first, *snap]) if n in snap and n not in HIDDEN]
    return [Field(n, label_of(n), value_text(snap[n], coded=n in CODED)) for n in names]


def fact_title(spec: AnySpec, snap: Mapping[str, Any]) -> str:
    """What names a fact on its page and in feeds: its headline or title, else kind and date."""
    for name in ("headline", "title"):
        if snap.get(name):
            return str(snap[name])
    if snap.get("party") and snap.get("issue"):
        return _("{party} on {issue}").format(party=snap["party"], issue=snap["issue"])
    day = snap.get(spec.date_attr)
    label = _(spec.label)
    return f"{label}, {value_text(day)}" if day else label


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    """The fields an edit changed (sources included), as text before and after."""
    skip = HIDDEN - {"sources"}
    names = [k for k in dict.fromkeys([*before, *after]) if k not in skip]
    return [
        FieldChange(
            label_of(k),
            value_text(before.get(k), coded=k in CODED) if k in before else "—",
            value_text(after.get(k), coded=k in CODED) if k in after else "—",
        )
        for k in names
        if before.get(k) != after.get(k)
    ]
