"""A stored fact's snapshot (kinds/audit.py) as labelled fields and readable changes."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Collection, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from core.dates import format_date
from core.i18n import N_, _, current_language
from core.text import number
from core.when import When, format_when
from kinds.audit import parse_fact_ref
from kinds.common import people_range
from kinds.day_order import DAY_LABELS
from kinds.exchange_tables import is_bodies
from kinds.exchange_views import bodies_range
from kinds.extras import alternative_text
from kinds.registry import AnySpec
from kinds.vocabulary import label_text, labels_text

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

# Bookkeeping a reader does not need as a field (retraction is shown as a banner instead).
HIDDEN = frozenset(
    {"sources", "retracted_at", "retraction_reason", "superseded_by_id", "round_id", "updated_at"}
    # The page shows the text in its language (web/pages.py `localized_snapshot`), not the rest.
    | {"translations", "language"}
    # The date's precision is shown in the date itself ("May 2025", "~Tue 20 May 2025").
    | {"date_precision", "date_until", "date_approx"}
    # Other sources' values have their own list on the page (`other_values`).
    | {"alternatives"}
)
LABELS = {
    "as_of": N_("As of"),
    "end_date": N_("Until"),
    "duration_minutes": N_("Duration (minutes)"),
    "returned": N_("People returned"),
    "type": N_("Type of document"),
    **DAY_LABELS,  # "Lead story of the day", not "Lead"
    "event_time": N_("Local time"),  # of the event, where it happened (docs/data-format.md)
    "stages": N_("Days carried out"),
}
# Stored codes shown as words ("handed_over" → "handed over"), translated where known.
CODED = frozenset({"status", "type"})
CODE_WORDS = {
    "agreed": N_("agreed, not yet carried out"),
    "completed": N_("completed"),
    "drafted": N_("drafted"),
    "handed_over": N_("handed over"),
    "published": N_("published"),
    "signed": N_("signed"),
    "rejected": N_("rejected"),
}


@dataclass(frozen=True, slots=True)
class Field:
    """One labelled field of a fact."""

    name: str
    label: str
    value: str
    target: tuple[str, int] | None = None  # the fact this field names (a round), kind and id
    lang: str = ""  # the language of a text shown as written, when not the page's
    retracted: bool = False  # the fact it names was retracted since


@dataclass(frozen=True, slots=True)
class OtherValue:
    """A value another source reports for a field: 'Duration: just over an hour (Anadolu)'."""

    label: str
    value: str
    source: str
    url: str | None
    published: str | None


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


def label_of(name: str, spec: AnySpec | None = None) -> str:
    """A field's label, e.g. 'as_of' → 'As of': the page's own, else the kind's (as /show
    labels it: a document's authors are 'By'), else made from its name."""
    known = LABELS.get(name) or (spec.full_labels.get(name) if spec is not None else None)
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
        # Only what reads as a real day or moment: a typed title such as "2025-02-30" stays text.
        with suppress(ValueError):
            if _ISO_DAY.match(value):
                return format_date(dt.date.fromisoformat(value))
            if _ISO_STAMP.match(value):
                at = dt.datetime.fromisoformat(value)
                return f"{format_date(at.date())} {at:%H:%M} UTC"
        if coded:
            return _(CODE_WORDS[value]) if value in CODE_WORDS else value.replace("_", " ")
        return value
    if isinstance(value, Mapping):
        if set(value) <= {"party", "head"}:
            # A delegation whose head the sources do not name, as the rounds page says it.
            return f"{value.get('party') or '?'}: {value.get('head') or _('not named')}"
        if set(value) >= {"name"}:  # a source
            parts = [str(value["name"]), value.get("url"), value.get("published")]
            return ", ".join(value_text(p) for p in parts if p)
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        joiner = "; " if any(isinstance(v, Mapping) for v in value) else ", "
        return joiner.join(value_text(v, coded=coded) for v in value) or "—"
    return str(value)


def when_text(snap: Mapping[str, Any], date_attr: str) -> str | None:
    """A snapshot's date as precise as its sources ('May 2025', '~Tue 20 May 2025'), else None."""
    raw = snap.get(date_attr)
    if not isinstance(raw, str) or not _ISO_DAY.match(raw[:10]):
        return None
    until = snap.get("date_until")
    try:
        start = dt.date.fromisoformat(raw[:10])
        end = dt.date.fromisoformat(until[:10]) if isinstance(until, str) else None
    except ValueError:  # an old snapshot's malformed date: shown as typed elsewhere
        return None
    return format_when(
        When(start, snap.get("date_precision") or "day", end, bool(snap.get("date_approx")))
    )


def returned_text(value: Any, joiner: str = "; ", *, dead: bool = False) -> str:
    """People (or, `dead`, bodies) returned to each party: 'Ukraine: about 1,000 people
    (900–1,100); Russia: …'."""
    if not isinstance(value, Mapping):
        return value_text(value)
    parts = []
    for party, count in value.items():
        within = people_range if not dead else bodies_range
        if isinstance(count, Mapping):  # known within bounds
            shown = within(count.get("best"), count.get("low"), count.get("high"))
        else:
            shown = within(count if isinstance(count, int) else None)
        parts.append(f"{party}: {shown}")
    return joiner.join(parts) or "—"


def _of_bodies(snap: Mapping[str, Any]) -> bool:
    categories = snap.get("categories")
    return isinstance(categories, list) and is_bodies([str(c) for c in categories])


def field_text(snap: Mapping[str, Any], name: str, date_attr: str | None = None) -> str:
    """One field of a snapshot as text; the fact's own date as precise as its sources."""
    if name == date_attr and (when := when_text(snap, name)) is not None:
        return when
    if name == "returned":
        return returned_text(snap[name], dead=_of_bodies(snap))
    if name == "stages" and isinstance(snap[name], list):
        dead = _of_bodies(snap)
        return " · ".join(
            f"{value_text(s.get('date'))}: {returned_text(s.get('returned'), ', ', dead=dead)}"
            if isinstance(s, Mapping)
            else value_text(s)
            for s in snap[name]
        )
    value = snap[name]
    # Who an exchange returned and a document's type: the common words in the page's language.
    if name == "categories" and isinstance(value, list):
        return ", ".join(labels_text(str(c) for c in value)) or "—"
    if name == "type" and isinstance(value, str) and label_text(value) != value:
        return label_text(value)
    return value_text(value, coded=name in CODED)


def fact_fields(
    spec: AnySpec, snap: Mapping[str, Any], retracted: Collection[str] = ()
) -> list[Field]:
    """Every field a reader may want, the kind's title and date first; `retracted`: the fields
    naming a fact since retracted (kinds/full.py `retracted_links`)."""
    first = ["headline", "title", spec.title_attr, spec.date_attr]
    names = [n for n in dict.fromkeys([*first, *snap]) if n in snap and n not in HIDDEN]
    return [_field(spec, snap, n, n in retracted) for n in names]


def _field(spec: AnySpec, snap: Mapping[str, Any], name: str, retracted: bool) -> Field:
    value = snap[name]
    if name == "round" and isinstance(value, str):  # "R1 Second round…": its title, linked
        ref, _sep, title = value.partition(" ")
        if (named := parse_fact_ref(ref)) is not None:
            target = (named[0].value, named[1])
            label = label_of(name, spec)
            return Field(name, label, title or ref, target=target, retracted=retracted)
    text = field_text(snap, name, spec.date_attr)
    # "People returned" is not said of the bodies of the dead.
    label = _("Returned") if name == "returned" and _of_bodies(snap) else label_of(name, spec)
    return Field(name, label, text, lang=text_lang(spec, snap, name))


def text_lang(spec: AnySpec, snap: Mapping[str, Any], name: str) -> str:
    """The language of a free-text field shown as written (not translated for this page),
    when it is not the page's; '' otherwise (a snapshot from `localized_snapshot`)."""
    original = str(snap.get("language") or "en")
    language = current_language()
    translated = (snap.get("translations") or {}).get(language) or {}
    if name not in spec.translatable or original == language or name in translated:
        return ""
    return original


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


def other_values(spec: AnySpec | None, snap: Mapping[str, Any]) -> list[OtherValue]:
    """What other sources report for the fact's fields, each with its source."""
    found = []
    for alt in snap.get("alternatives") or ():
        if not isinstance(alt, Mapping):
            continue
        field = str(alt.get("field") or "")
        given = alt.get("source")
        source: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        published = source.get("published")
        found.append(
            OtherValue(
                label=label_of("_".join(field.split()), spec),
                value=alternative_text(field, str(alt.get("value") or "")),
                source=str(source.get("name") or "?"),
                url=source.get("url") or None,
                published=value_text(published) if isinstance(published, str) else None,
            )
        )
    return found


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any], spec: AnySpec | None = None
) -> list[FieldChange]:
    """The fields an edit changed (sources included), as text before and after; the fact's
    date as precise as its sources, so '1 May 2025 → May 2025' is a change."""
    skip = HIDDEN - {"sources"}
    date_attr = spec.date_attr if spec is not None else None
    names = [k for k in dict.fromkeys([*before, *after]) if k not in skip]
    shown = [
        FieldChange(
            label_of(k, spec),
            field_text(before, k, date_attr) if k in before else "—",
            field_text(after, k, date_attr) if k in after else "—",
        )
        for k in names
        if before.get(k) != after.get(k) or k == date_attr
    ]
    if before.get("alternatives") != after.get("alternatives"):
        was, now = (
            "; ".join(f"{o.label}: {o.value} ({o.source})" for o in other_values(spec, snap)) or "—"
            for snap in (before, after)
        )
        shown.append(FieldChange(_("Other sources report"), was, now))
    shown += _translation_changes(before, after, spec)
    return [c for c in shown if c.before != c.after]


def _translation_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], spec: AnySpec | None
) -> list[FieldChange]:
    # An edit that only adds or changes a translation says so, not "details corrected".
    old, new = before.get("translations") or {}, after.get("translations") or {}
    found = []
    for language in sorted({*old, *new}):
        was, now = old.get(language) or {}, new.get(language) or {}
        for name in sorted({*was, *now}):
            label = _("{field} ({language} translation)").format(
                field=label_of(name, spec), language=language.upper()
            )
            found.append(FieldChange(label, was.get(name) or "—", now.get(name) or "—"))
    return found
