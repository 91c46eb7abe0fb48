"""Editors' `field: value` forms: field specs per kind of fact, parsing and validation."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from core.dates import DATE_EXAMPLES, format_date, parse_date
from store.models import FactKind
from store.queries import NamedThing, match_name
from store.transfer import (
    FACT_INPUTS,
    AnyFactIn,
    IssueIn,
    PartyIn,
    SourceIn,
)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a form: its name, the other names editors may type, and how to ask for it."""

    name: str
    required: bool
    prompt: str
    aliases: tuple[str, ...] = ()


_DATE_PROMPT = "When? (e.g. 2 June 2025, yesterday, Monday)"
_SOURCE_PROMPT = "Source? A name and/or a link, e.g. Reuters https://www.reuters.com/… (/skip)"

FIELDS: dict[FactKind, tuple[FieldSpec, ...]] = {
    FactKind.UPDATE: (
        FieldSpec("headline", True, "Headline? (one line)", ("title", "text")),
        FieldSpec("date", True, _DATE_PROMPT, ("when", "on")),
        FieldSpec("summary", False, "Short summary? (/skip)", ("details", "body")),
        FieldSpec("source", False, _SOURCE_PROMPT, ("sources", "link", "url")),
        FieldSpec("tags", False, "Tags, comma-separated? (/skip)", ("tag",)),
    ),
    FactKind.POSITION: (
        FieldSpec("party", True, "Which party? (e.g. Russia)", ("side", "who")),
        FieldSpec("issue", True, "On which issue? (e.g. NATO, territory)", ("topic",)),
        FieldSpec("stance", True, "What is the stance? (one or two sentences)", ("position",)),
        FieldSpec("date", True, "As of when? (e.g. 14 June 2024)", ("as of", "as_of", "when")),
        FieldSpec("source", False, _SOURCE_PROMPT, ("sources", "link", "url")),
    ),
    FactKind.EXCHANGE: (
        FieldSpec("date", True, _DATE_PROMPT, ("when", "on")),
        FieldSpec(
            "returned",
            True,
            "How many returned to each side? e.g. Ukraine 390, Russia 390 (? if not announced)",
            ("counts", "numbers", "released"),
        ),
        FieldSpec(
            "categories", False, "Who? e.g. soldiers, civilians (/skip)", ("category", "who")
        ),
        FieldSpec("mediator", False, "Mediator? (/skip)", ("via", "brokered by")),
        FieldSpec("status", False, "Status: completed or agreed? (/skip = completed)", ("state",)),
        FieldSpec("note", False, "Note? (/skip)", ("notes", "comment")),
        FieldSpec("source", False, _SOURCE_PROMPT, ("sources", "link", "url")),
    ),
    FactKind.ROUND: (
        FieldSpec("date", True, _DATE_PROMPT, ("when", "on")),
        FieldSpec("place", True, "Where? e.g. Istanbul, Ciragan Palace", ("where", "venue")),
        FieldSpec("title", False, "Title? e.g. Second round of direct talks (/skip)", ("name",)),
        FieldSpec("mediator", False, "Mediator? (/skip)", ("host",)),
        FieldSpec(
            "delegations",
            False,
            "Heads of delegations? e.g. Ukraine: Rustem Umerov; Russia: Vladimir Medinsky (/skip)",
            ("delegation", "heads"),
        ),
        FieldSpec("duration", False, "How long? e.g. about an hour (/skip)", ("length",)),
        FieldSpec("outcome", False, "Outcome? (/skip)", ("outcomes", "result", "results")),
        FieldSpec("source", False, _SOURCE_PROMPT, ("sources", "link", "url")),
    ),
}

# The text after the command on its first line fills this field, e.g. /add HEADLINE.
LEAD_FIELD = {
    FactKind.UPDATE: "headline",
    FactKind.POSITION: "stance",
    FactKind.EXCHANGE: "note",
    FactKind.ROUND: "title",
}

_FIELD_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z _-]{0,24}?)\s*:\s*(.*)$")
_URLISH = re.compile(r"(?:[a-z][a-z0-9+.-]*:/+|www\.)\S*", re.IGNORECASE)
_COUNT = re.compile(r"^(?P<name>.+?)\s*[:=]?\s*(?P<n>[+-]?\d[\d.,]*|\?|unknown|n/?a)$", re.I)
MAX_FIELD_LENGTH = 3000


def _canon(name: str) -> str:
    return " ".join(name.lower().replace("_", " ").replace("-", " ").split())


def field_for(kind: FactKind, typed: str) -> FieldSpec | None:
    """The field an editor meant by `typed` (name or alias, any case)."""
    wanted = _canon(typed)
    for spec in FIELDS[kind]:
        if wanted == spec.name or wanted in (_canon(a) for a in spec.aliases):
            return spec
    return None


@dataclass
class ParsedForm:
    """Raw field values typed by an editor, and what was wrong with the form itself."""

    values: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def parse_form(kind: FactKind, text: str, *, has_command: bool = True) -> ParsedForm:
    """Split a message into `field: value` lines (a lead line after the command is allowed)."""
    form = ParsedForm()
    lines = text.replace("\r\n", "\n").split("\n")
    if has_command and lines:
        first = lines.pop(0).split(maxsplit=1)
        lead = first[1].strip() if len(first) > 1 else ""
        if lead:
            form.values[LEAD_FIELD[kind]] = lead
    current: str | None = None
    for line in lines:
        if not line.strip():
            continue
        match = _FIELD_LINE.match(line)
        spec = field_for(kind, match.group(1)) if match else None
        if match and spec is None and not _URLISH.match(line.strip()):
            names = ", ".join(s.name for s in FIELDS[kind])
            form.errors.append(f"Unknown field “{match.group(1).strip()}”. Fields: {names}.")
            current = None
            continue
        if match and spec is not None:
            value = match.group(2).strip()
            if spec.name in form.values and spec.name != "source":
                form.errors.append(f"{spec.name}: given twice; send it once.")
                continue
            if spec.name == "source" and spec.name in form.values:
                value = f"{form.values['source']}; {value}"
            form.values[spec.name] = value
            current = spec.name
        elif current is not None:
            # A line without "field:" continues the previous field (long summaries, outcomes).
            form.values[current] = f"{form.values[current]}\n{line.strip()}"
        else:
            form.errors.append(
                f"I couldn't read “{line.strip()[:40]}”: write each field as `name: value`."
            )
    for name, value in form.values.items():
        if len(value) > MAX_FIELD_LENGTH:
            form.errors.append(f"{name}: too long ({len(value):,} characters, at most 3,000).")
    return form


def is_field_line(line: str) -> bool:
    """True for a `name: value` line whose name is a field of some kind of fact."""
    match = _FIELD_LINE.match(line)
    return match is not None and any(field_for(kind, match.group(1)) for kind in FIELDS)


def slug(name: str) -> str:
    """A key for a new party or issue, e.g. 'Black Sea shipping' -> 'black-sea-shipping'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60] or "item"


@dataclass
class Draft:
    """A validated fact ready to preview, with new parties/issues it would create."""

    kind: FactKind
    item: AnyFactIn
    new_parties: list[PartyIn] = field(default_factory=list)
    new_issues: list[IssueIn] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # key -> display name


@dataclass
class FormContext:
    """What validation needs: known parties and issues, the time zone, dateparser languages."""

    things: Sequence[NamedThing]
    tz: ZoneInfo
    languages: Sequence[str]
    now: dt.datetime | None = None


class _Checker:
    def __init__(self, ctx: FormContext) -> None:
        self.ctx = ctx
        self.errors: list[str] = []
        self.new_parties: dict[str, PartyIn] = {}
        self.new_issues: dict[str, IssueIn] = {}
        self.notes: list[str] = []
        self.names: dict[str, str] = {t.key: t.name for t in ctx.things}

    def date(self, name: str, value: str | None) -> dt.date | None:
        if not value:
            return None
        parsed = parse_date(value, tz=self.ctx.tz, languages=self.ctx.languages, now=self.ctx.now)
        if parsed is None:
            self.errors.append(
                f"{name}: I couldn't read “{value[:40]}” as a date. Try: {DATE_EXAMPLES}."
            )
            return None
        today = (self.ctx.now or dt.datetime.now(self.ctx.tz)).astimezone(self.ctx.tz).date()
        if parsed > today:
            self.notes.append(f"⚠️ {name}: {format_date(parsed)} is in the future.")
        return parsed

    def named(self, kind: str, value: str) -> str | None:
        things = [t for t in self.ctx.things if t.kind == kind]
        match = match_name(value, things)
        if match.found is not None:
            return match.found.key
        if match.suggestions:
            options = " or ".join(f"“{t.name}”" for t in match.suggestions)
            self.errors.append(f"{kind}: no {kind} “{value}”. Did you mean {options}?")
            return None
        key = slug(value)
        if key in self.names:
            return key
        if kind == "party":
            self.new_parties[key] = PartyIn(key=key, name=value.strip(), aliases=[])
        else:
            self.new_issues[key] = IssueIn(key=key, name=value.strip(), aliases=[])
        self.names[key] = value.strip()
        self.notes.append(f"🆕 New {kind} “{value.strip()}” will be created when you save.")
        return key

    def sources(self, value: str | None) -> list[str | SourceIn]:
        if not value:
            return []
        found: list[str | SourceIn] = []
        for part in (p.strip() for p in value.split(";")):
            if not part:
                continue
            urls = _URLISH.findall(part)
            if len(urls) > 1:
                self.errors.append("source: one link per source; separate sources with “;”.")
                continue
            url = urls[0].rstrip(".,)") if urls else None
            if url is not None:
                parts = urlsplit(url)
                host = parts.hostname or ""
                if parts.scheme.lower() not in ("http", "https") or "." not in host:
                    self.errors.append(
                        f"source: “{url[:60]}” is not a web link; use https://example.org/…"
                    )
                    continue
            name = _URLISH.sub("", part).strip(" -–—:,") if url else part
            if not name and url:
                name = (urlsplit(url).hostname or "").removeprefix("www.")
            found.append(SourceIn(name=name[:200], url=url))
        return found

    def counts(self, value: str) -> dict[str, int | None]:
        counts: dict[str, int | None] = {}
        for part in (p.strip() for p in re.split(r"[;,](?!\d{3}\b)", value)):
            if not part:
                continue
            match = _COUNT.match(part)
            if match is None or not match.group("name").strip():
                self.errors.append(
                    f"returned: write “party number”, e.g. Ukraine 390, Russia 390 (got “{part}”)."
                )
                continue
            raw = match.group("n").replace(",", "").replace(" ", "")
            number: int | None = None
            if raw.isascii() and raw.isdigit() and len(raw) <= 9:  # "²" is no digit
                number = int(raw)
            elif raw.lower() not in ("?", "unknown", "na", "n/a"):
                self.errors.append(
                    f"returned: “{match.group('n')}” is not a whole number of people (0 or more)."
                )
                continue
            key = self.named("party", match.group("name").strip())
            if key is not None:
                counts[key] = number
        if not counts and not self.errors:
            self.errors.append("returned: give at least one side, e.g. Ukraine 390, Russia 390.")
        return counts


def _items(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(",") if p.strip()]


_STATUS = {
    "completed": "completed",
    "complete": "completed",
    "done": "completed",
    "carried out": "completed",
    "agreed": "agreed",
    "planned": "agreed",
    "pending": "agreed",
    "announced": "agreed",
}


def build_draft(kind: FactKind, values: Mapping[str, str], ctx: FormContext) -> Draft | list[str]:
    """Validate typed values into a fact; return every problem at once when there are any."""
    check = _Checker(ctx)
    missing = [s.name for s in FIELDS[kind] if s.required and not values.get(s.name, "").strip()]
    problems = [f"Missing: {', '.join(missing)}."] if missing else []
    v = dict(values)
    data: dict[str, Any] = {"sources": check.sources(v.get("source"))}
    if kind is FactKind.UPDATE:
        data |= {
            "headline": v.get("headline", ""),
            "date": check.date("date", v.get("date")),
            "summary": v.get("summary", ""),
            "tags": _items(v.get("tags")),
        }
    elif kind is FactKind.POSITION:
        data |= {
            "party": check.named("party", v["party"]) if v.get("party") else None,
            "issue": check.named("issue", v["issue"]) if v.get("issue") else None,
            "stance": v.get("stance", ""),
            "as_of": check.date("date", v.get("date")),
        }
    elif kind is FactKind.EXCHANGE:
        status = _STATUS.get(_canon(v.get("status") or "completed"))
        if status is None:
            check.errors.append("status: use completed or agreed.")
        data |= {
            "date": check.date("date", v.get("date")),
            "returned": check.counts(v["returned"]) if v.get("returned") else {},
            "categories": _items(v.get("categories")),
            "mediator": v.get("mediator") or None,
            "status": status or "completed",
            "note": v.get("note") or None,
        }
    else:
        place, _, venue = v.get("place", "").partition(",")
        delegations: list[dict[str, str | None]] = []
        for part in (p.strip() for p in (v.get("delegations") or "").split(";")):
            if part:
                party, sep, head = part.partition(":")
                if not sep:
                    check.errors.append(
                        "delegations: write “Party: head”, separated by “;” "
                        "(e.g. Ukraine: Rustem Umerov; Russia: Vladimir Medinsky)."
                    )
                    break
                known = match_name(party, [t for t in ctx.things if t.kind == "party"]).found
                # Plain data, validated with the round below (its errors become messages), and
                # "Russia:" with no name is a delegation whose head the source does not name.
                delegations.append(
                    {"party": known.name if known else party.strip(), "head": head.strip() or None}
                )
        data |= {
            "date": check.date("date", v.get("date")),
            "place": place.strip(),
            "venue": venue.strip() or None,
            "title": v.get("title", ""),
            "mediator": v.get("mediator") or None,
            "delegations": delegations,
            "duration": v.get("duration") or None,
            "outcome": v.get("outcome", ""),
        }
    problems += check.errors
    if problems:
        return problems
    model = FACT_INPUTS[kind]
    try:
        item = model.model_validate(data)
    except ValidationError as exc:
        return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    return Draft(
        kind=kind,
        item=item,
        new_parties=list(check.new_parties.values()),
        new_issues=list(check.new_issues.values()),
        notes=check.notes,
        names=check.names,
    )


def check_field(kind: FactKind, name: str, value: str, ctx: FormContext) -> list[str]:
    """Problems with one answer of the guided form (the rest is checked at the preview)."""
    check = _Checker(ctx)
    if len(value) > MAX_FIELD_LENGTH:
        return [f"{name}: too long ({len(value):,} characters, at most 3,000)."]
    if name == "date":
        check.date(name, value)
    elif name in ("party", "issue"):
        check.named(name, value)
    elif name == "returned":
        check.counts(value)
    elif name == "source":
        check.sources(value)
    elif name == "delegations" and any(
        ":" not in part for part in value.split(";") if part.strip()
    ):
        check.errors.append(
            "delegations: write “Party: head”, separated by “;” "
            "(e.g. Ukraine: Rustem Umerov; Russia: Vladimir Medinsky)."
        )
    elif name == "status" and _STATUS.get(_canon(value)) is None:
        check.errors.append("status: use completed or agreed.")
    return check.errors
