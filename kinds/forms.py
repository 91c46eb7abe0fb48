"""Editors' form primitives: field declarations and the checker that reads typed values."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from core.dates import DATE_EXAMPLES, format_date, parse_date
from store.queries import NamedThing, match_name
from store.transfer import IssueIn, PartyIn, SourceIn

DATE_PROMPT = "When? (e.g. 2 June 2025, yesterday, Monday)"
SOURCE_PROMPT = "Source? A name and/or a link, e.g. Reuters https://www.reuters.com/…"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a form: its name, the other names editors may type, and how to ask for it.

    `check` validates one typed answer of the guided form (the whole form is checked again
    when the preview is built); it reports problems through the checker.
    """

    name: str
    required: bool
    prompt: str
    aliases: tuple[str, ...] = ()
    check: Callable[[Checker, str], object] | None = None


def source_field() -> FieldSpec:
    """The `source` field every kind shares; every fact needs one."""
    return FieldSpec("source", True, SOURCE_PROMPT, ("sources", "link", "url"), Checker.sources)


def date_field(prompt: str = DATE_PROMPT, aliases: tuple[str, ...] = ("when", "on")) -> FieldSpec:
    """A required `date` field read in plain words."""
    return FieldSpec("date", True, prompt, aliases, lambda c, v: c.date("date", v))


FIELD_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z _-]{0,24}?)\s*:\s*(.*)$")
URLISH = re.compile(r"(?:[a-z][a-z0-9+.-]*:/+|www\.)\S*", re.IGNORECASE)
_COUNT = re.compile(r"^(?P<name>.+?)\s*[:=]?\s*(?P<n>[+-]?\d[\d.,]*|\?|unknown|n/?a)$", re.I)
MAX_FIELD_LENGTH = 3000
LABEL_MAX = 60  # a stance's label in the /positions overview


def canon(name: str) -> str:
    """A field name or choice as compared: lowercase, `_` and `-` as spaces."""
    return " ".join(name.lower().replace("_", " ").replace("-", " ").split())


def slug(name: str) -> str:
    """A key for a new party or issue, e.g. 'Black Sea shipping' -> 'black-sea-shipping'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60] or "item"


@dataclass
class FormContext:
    """What validation needs: known parties and issues, the time zone, dateparser languages."""

    things: Sequence[NamedThing]
    tz: ZoneInfo
    languages: Sequence[str]
    now: dt.datetime | None = None
    rounds: Mapping[str, str] = field(default_factory=dict)  # live rounds: "R12" -> label


class Checker:
    """Reads typed values into stored ones, collecting problems, notes and new names."""

    def __init__(self, ctx: FormContext) -> None:
        self.ctx = ctx
        self.errors: list[str] = []
        self.new_parties: dict[str, PartyIn] = {}
        self.new_issues: dict[str, IssueIn] = {}
        self.notes: list[str] = []
        self.names: dict[str, str] = {t.key: t.name for t in ctx.things}

    def date(self, name: str, value: str | None) -> dt.date | None:
        """A date typed in plain words, or None (with a problem noted)."""
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
        """The key of the party or issue meant, a new one to create, or None."""
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

    def party(self, value: str) -> str | None:
        """The key of the party meant (see `named`)."""
        return self.named("party", value)

    def issue(self, value: str) -> str | None:
        """The key of the issue meant (see `named`)."""
        return self.named("issue", value)

    def label(self, value: str) -> str | None:
        """A stance's short label: a few words (at most LABEL_MAX characters)."""
        if len(value.strip()) > LABEL_MAX:
            self.errors.append(
                f"label: a few words, at most {LABEL_MAX} characters (got {len(value.strip())})."
            )
            return None
        return value.strip()

    def supersedes(self, value: str) -> list[str] | None:
        """The stances a new one replaces, typed as `P7` or `P7, P9`; `none` keeps them all."""
        if canon(value) in ("none", "no", "nothing", "keep", "keeps both", "keep both", "-"):
            return []
        refs = [p for p in re.split(r"[,;\s]+", value.strip()) if p]
        bad = [p for p in refs if not re.fullmatch(r"[Pp]\d{1,9}", p)]
        if bad or not refs:
            self.errors.append(
                f"supersedes: write the id of the stance it replaces, e.g. P7, or “none” "
                f"(got “{value[:40]}”)."
            )
            return None
        return [p.upper() for p in refs]

    def choice(self, name: str, value: str, choices: Mapping[str, str]) -> str | None:
        """One of a field's fixed values, typed in any of its spellings."""
        found = choices.get(canon(value))
        if found is None:
            *most, last = [c.replace("_", " ") for c in dict.fromkeys(choices.values())]
            options = f"{', '.join(most)} or {last}" if most else last
            self.errors.append(f"{name}: use {options}.")
        return found

    def sources(self, value: str | None) -> list[str | SourceIn]:
        """Sources typed as `name link; name link`."""
        if not value:
            return []
        found: list[str | SourceIn] = []
        for part in (p.strip() for p in value.split(";")):
            if not part:
                continue
            urls = URLISH.findall(part)
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
            name = URLISH.sub("", part).strip(" -–—:,") if url else part
            if not name and url:
                name = (urlsplit(url).hostname or "").removeprefix("www.")
            found.append(SourceIn(name=name[:200], url=url))
        return found

    def counts(self, value: str) -> dict[str, int | None]:
        """People returned per party, typed as `Ukraine 390, Russia 390`."""
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


def items(value: str | None) -> list[str]:
    """A comma-separated answer as a list of labels."""
    return [p.strip() for p in (value or "").split(",") if p.strip()]
