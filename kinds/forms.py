"""Editors' form primitives: field declarations and the checker that reads typed values."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from core.dates import DATE_EXAMPLES, format_date
from core.i18n import N_, _
from core.when import When, iso_when, parse_when
from store.queries import NamedThing, match_name
from store.transfer import IssueIn, PartyIn, SourceIn

DATE_PROMPT = N_("When? (e.g. 2 June 2025, yesterday, Monday)")
SOURCE_PROMPT = N_("Source? A name and/or a link, e.g. Reuters https://www.reuters.com/…")


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
# "Ukraine 1000 (900-1100)" (best and bounds) or "Ukraine 900-1100" (bounds only).
_NUM = r"\d[\d,]*"
_RANGE = re.compile(
    rf"^(?P<name>.+?)\s*[:=]?\s*(?:(?P<best>{_NUM})\s*\(\s*(?P<low>{_NUM})\s*[–—-]\s*"
    rf"(?P<high>{_NUM})\s*\)|(?P<low2>{_NUM})\s*[–—-]\s*(?P<high2>{_NUM}))$"
)
# "duration also: just over an hour | source: Anadolu, https://…, 2 Jun 2025"
ALSO_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z' _-]{0,60}?)\s+also\s*:\s*(.*)$", re.IGNORECASE)
ALSO = "also"  # the form value holding every `FIELD also:` line, one per line
ALSO_HELP = N_(
    "write another source's value as “FIELD also: VALUE | source: NAME, LINK, DATE”, "
    "e.g. duration also: just over an hour | source: Anadolu, https://…, 2 Jun 2025"
)
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
        self.when: When | None = None  # the `date` field as typed, with its precision

    def date(self, name: str, value: str | None) -> dt.date | None:
        """A date typed in plain words ('2 June', 'May 2025', '23–25 May'), or None."""
        when = self.read_when(name, value)
        if name == "date":
            self.when = when
        return when.start if when else None

    def read_when(self, name: str, value: str | None) -> When | None:
        """A date typed in plain words with its precision, or None (a problem if not empty)."""
        if not value:
            return None
        when = parse_when(value, tz=self.ctx.tz, languages=self.ctx.languages, now=self.ctx.now)
        if when is None:
            self.errors.append(
                _("{field}: I couldn't read “{given}” as a date. Try: {examples}.").format(
                    field=name,
                    given=value[:40],
                    examples=_(DATE_EXAMPLES) + ", " + _("May 2025, 23–25 May 2025, ~20 Nov 2025"),
                )
            )
            return None
        parsed = when.start
        today = (self.ctx.now or dt.datetime.now(self.ctx.tz)).astimezone(self.ctx.tz).date()
        if parsed > today:
            self.notes.append(
                _("⚠️ {field}: {date} is in the future.").format(
                    field=name, date=format_date(parsed)
                )
            )
        return when

    def precision(self) -> dict[str, object]:
        """The typed date's precision as input fields (nothing for an exact day)."""
        when = self.when
        if when is None or when.exact:
            return {}
        return {
            "date_precision": when.precision,
            "date_until": when.until,
            "date_approx": when.approx or None,
        }

    def alternatives(
        self, value: str | None, fields: Sequence[FieldSpec]
    ) -> list[dict[str, object]]:
        """`FIELD: VALUE | source: …` lines (from `FIELD also:` lines) as alternatives."""
        found: list[dict[str, object]] = []
        for line in (value or "").split("\n"):
            name, _colon, rest = line.partition(":")
            text, bar, source = rest.partition("|")
            label, sep, source = source.partition(":")
            if not line.strip():
                continue
            if not (name.strip() and text.strip() and bar and sep) or canon(label) != "source":
                self.errors.append(f"also: {_(ALSO_HELP)}.")
                continue
            spec = next(
                (
                    f
                    for f in fields
                    if canon(name) == f.name or canon(name) in (canon(a) for a in f.aliases)
                ),
                None,
            )
            if spec is None:
                self.notes.append(
                    _("⚖️ “{name}” is not a field; it is shown as a line of its own.").format(
                        name=name.strip()
                    )
                )
            if spec is not None and spec.name == "date":
                # Another source's date is read like the fact's own (a range, "mid-March") and
                # kept as ISO, so that readers see it as they see every date, in their language.
                probe = Checker(self.ctx)
                when = probe.read_when(f"{spec.name} also", text.strip())
                if when is None:
                    self.errors.extend(probe.errors)
                    continue
                text = iso_when(when)
            sources = self.dated_source(source)
            if sources is not None:
                found.append(
                    {
                        "field": spec.name if spec else name.strip(),
                        "value": text.strip(),
                        "source": sources,
                    }
                )
        return found

    def dated_source(self, value: str) -> SourceIn | None:
        """One source typed as `NAME, LINK, DATE` (link and date optional), or None."""
        parts = [p.strip() for p in value.split(",") if p.strip()]
        published: dt.date | None = None
        if len(parts) > 1 and not URLISH.search(parts[-1]):
            when = parse_when(
                parts[-1], tz=self.ctx.tz, languages=self.ctx.languages, now=self.ctx.now
            )
            if when is not None and when.exact:
                published = when.start
                parts.pop()
        found = self.sources(", ".join(parts))
        if len(found) != 1 or not isinstance(found[0], SourceIn):
            self.errors.append(f"also: {_(ALSO_HELP)}.")
            return None
        return found[0].model_copy(update={"published": published})

    def named(self, kind: str, value: str) -> str | None:
        """The key of the party or issue meant, a new one to create, or None."""
        things = [t for t in self.ctx.things if t.kind == kind]
        match = match_name(value, things)
        if match.found is not None:
            return match.found.key
        if match.suggestions:
            options = _(" or ").join(_("“{name}”").format(name=t.name) for t in match.suggestions)
            if kind == "party":
                problem = _("party: no party “{given}”. Did you mean {options}?")
            else:
                problem = _("issue: no issue “{given}”. Did you mean {options}?")
            self.errors.append(problem.format(given=value, options=options))
            return None
        key = slug(value)
        if key in self.names:
            return key
        if kind == "party":
            self.new_parties[key] = PartyIn(key=key, name=value.strip(), aliases=[])
        else:
            self.new_issues[key] = IssueIn(key=key, name=value.strip(), aliases=[])
        self.names[key] = value.strip()
        if kind == "party":
            created = _("🆕 New party “{name}” will be created when you save.")
        else:
            created = _("🆕 New issue “{name}” will be created when you save.")
        self.notes.append(created.format(name=value.strip()))
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
                _("label: a few words, at most {most} characters (got {n}).").format(
                    most=LABEL_MAX, n=len(value.strip())
                )
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
                _(
                    "supersedes: write the id of the stance it replaces, e.g. P7, or “none” "
                    "(got “{given}”)."
                ).format(given=value[:40])
            )
            return None
        return [p.upper() for p in refs]

    def choice(self, name: str, value: str, choices: Mapping[str, str]) -> str | None:
        """One of a field's fixed values, typed in any of its spellings."""
        found = choices.get(canon(value))
        if found is None:
            *most, last = [c.replace("_", " ") for c in dict.fromkeys(choices.values())]
            options = (", ".join(most) + _(" or ") + last) if most else last
            self.errors.append(_("{field}: use {options}.").format(field=name, options=options))
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
                self.errors.append(_("source: one link per source; separate sources with “;”."))
                continue
            url = urls[0].rstrip(".,)") if urls else None
            if url is not None:
                parts = urlsplit(url)
                host = parts.hostname or ""
                if parts.scheme.lower() not in ("http", "https") or "." not in host:
                    self.errors.append(
                        _("source: “{url}” is not a web link; use https://example.org/…").format(
                            url=url[:60]
                        )
                    )
                    continue
            name = URLISH.sub("", part).strip(" -–—:,") if url else part
            if not name and url:
                name = (urlsplit(url).hostname or "").removeprefix("www.")
            found.append(SourceIn(name=name[:200], url=url))
        return found

    def _range(self, match: re.Match[str]) -> dict[str, int | None] | None:
        low, high = (
            int((match.group(g) or match.group(f"{g}2")).replace(",", "")) for g in ("low", "high")
        )
        best = int(match.group("best").replace(",", "")) if match.group("best") else None
        if not low < high or (best is not None and not low <= best <= high):
            self.errors.append(
                "returned: "
                + _("“{range}” needs low < high, e.g. Ukraine 1000 (900-1100).").format(
                    range=match.group(0)[:40]
                )
            )
            return None
        return {"low": low, "best": best, "high": high}

    def counts(self, value: str) -> dict[str, object]:
        """People returned per party, typed as `Ukraine 390, Russia 390`."""
        counts: dict[str, object] = {}
        for part in (p.strip() for p in re.split(r"[;,](?!\d{3}\b)", value)):
            if not part:
                continue
            ranged = _RANGE.match(part)
            if ranged is not None and ranged.group("name").strip():
                bounds = self._range(ranged)
                key = self.named("party", ranged.group("name").strip()) if bounds else None
                if key is not None:
                    counts[key] = bounds
                continue
            match = _COUNT.match(part)
            if match is None or not match.group("name").strip():
                self.errors.append(
                    _(
                        "returned: write “party number”, e.g. Ukraine 390, Russia 390 "
                        "(got “{given}”)."
                    ).format(given=part)
                )
                continue
            raw = match.group("n").replace(",", "").replace(" ", "")
            number: int | None = None
            if raw.isascii() and raw.isdigit() and len(raw) <= 9:  # "²" is no digit
                number = int(raw)
            elif raw.isascii() and raw.isdigit():
                self.errors.append(
                    _("returned: “{given}” is far more people than any exchange: check it.").format(
                        given=raw[:40]
                    )
                )
                continue
            elif raw.lower() not in ("?", "unknown", "na", "n/a"):
                self.errors.append(
                    _("returned: “{given}” is not a whole number of people (0 or more).").format(
                        given=match.group("n")
                    )
                )
                continue
            key = self.named("party", match.group("name").strip())
            if key is not None:
                counts[key] = number
        if not counts and not self.errors:
            self.errors.append(_("returned: give at least one side, e.g. Ukraine 390, Russia 390."))
        return counts


def items(value: str | None) -> list[str]:
    """A comma-separated answer as a list of labels."""
    return [p.strip() for p in (value or "").split(",") if p.strip()]
