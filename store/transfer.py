"""Input types every fact kind shares, for import files and editors' forms (docs/data-format.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from core.i18n import LANGUAGES

FORMAT = "peace-briefing/1"
SEED_FILE = Path(__file__).with_name("seed") / "seed.json"


def _check_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError("must be an http(s) link such as https://example.org/article")
    return value


def _no_comma(value: str) -> str:
    if "," in value:
        raise ValueError(
            "no commas inside one entry: labels are stored comma-separated; "
            "make it two entries or drop the comma"
        )
    return value


def _lowercase(value: str) -> str:
    if value != value.lower():
        raise ValueError(f"aliases are lowercase: write {value.lower()!r}")
    return value


Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# An entry of aliases, tags or categories: stored comma-separated, so none may hold a comma.
Label = Annotated[Name, AfterValidator(_no_comma)]
Alias = Annotated[Name, AfterValidator(_no_comma), AfterValidator(_lowercase)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Long = Annotated[str, StringConstraints(strip_whitespace=True, max_length=3000)]
Url = Annotated[str | None, AfterValidator(_check_url)]
# Every number in a file must fit the database's integer columns (a count of 10^30 does not).
MAX_INT = 2**31 - 1
NonNegativeInt = Annotated[int, Field(ge=0, le=MAX_INT)]
# An event's time of day, written "14:30" in files.
EventTime = Annotated[dt.time, PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str)]


class StrictModel(BaseModel):
    """A model that refuses fields it does not know."""

    model_config = ConfigDict(extra="forbid")


class PartyIn(StrictModel):
    """A party as the file declares it."""

    key: Key
    name: Name
    aliases: list[Alias] = []


class IssueIn(PartyIn):
    """An issue as the file declares it."""


class SourceIn(StrictModel):
    """A source, declared once with a key or given inline on a fact."""

    key: Key | None = None
    name: Name
    title: Long | None = None
    url: Url = None
    published: dt.date | None = None


class RetractionIn(StrictModel):
    """When and why a fact was retracted."""

    at: dt.datetime
    reason: Long


class CountRange(StrictModel):
    """A number known only within bounds, as UCDP records casualties: low, best guess, high."""

    low: NonNegativeInt
    best: NonNegativeInt | None = None
    high: NonNegativeInt

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        best = self.low if self.best is None else self.best
        if not self.low <= best <= self.high or self.low == self.high:
            raise ValueError("a range needs low < high, and low <= best <= high")
        return self


_COUNT = TypeAdapter(NonNegativeInt | None)


def _count(value: Any) -> int | CountRange | None:
    """A number of people, or a {low, best, high} range; errors read as for a plain number."""
    try:
        if isinstance(value, dict | CountRange):
            return CountRange.model_validate(value)
        found: int | None = _COUNT.validate_python(value)
        return found
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        msg = f"{where}: {first['msg']}" if where else first["msg"]
        raise PydanticCustomError(first["type"], "{msg}", {"msg": msg}) from None


# A count in a file: a whole number, null (not announced), or a range {low, best, high}.
Count = Annotated[
    int | CountRange | None,
    PlainValidator(_count),
    PlainSerializer(
        lambda v: v.model_dump(exclude_none=True) if isinstance(v, CountRange) else v,
        return_type=Any,
    ),
]


class AlternativeIn(StrictModel):
    """A value another source reports for one field of the fact."""

    field: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    source: Key | SourceIn


class FactIn(StrictModel):
    """Fields every fact shares."""

    # The field that holds the fact's date (its precision below applies to it).
    date_field: ClassVar[str] = "date"

    key: Key | None = None
    # Every fact is sourced (docs/data-format.md): an empty list is refused.
    sources: Annotated[list[Key | SourceIn], Field(min_length=1)]
    retracted: RetractionIn | None = None
    created_at: dt.datetime | None = None
    time: EventTime | None = None  # when that day it happened, for the order within a day
    lead: bool | None = None  # true: the day's lead story, listed first
    # How precise the date is (None: an exact day); a range ends on date_until.
    date_precision: Literal["day", "month", "range"] | None = None
    date_until: dt.date | None = None
    date_approx: bool | None = None
    alternatives: list[AlternativeIn] | None = None
    # The language of the fact's own text (None: English), and its text fields in others:
    # {"uk": {"headline": "…"}}; which fields a kind translates is in its spec (`translatable`).
    language: str | None = None
    translations: dict[str, dict[str, Long]] | None = None

    @model_validator(mode="after")
    def _known_languages(self) -> Self:
        known = ", ".join(LANGUAGES)
        if self.language is not None and self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {known}")
        for lang, fields in (self.translations or {}).items():
            if lang not in LANGUAGES:
                raise ValueError(f"translations: language must be one of {known}, not {lang!r}")
            if lang == (self.language or "en"):
                raise ValueError(f"translations: {lang!r} is the fact's own language")
            if not all(fields.values()):
                raise ValueError(f"translations: an empty text in {lang!r}")
        return self

    @model_validator(mode="after")
    def _precise_enough(self) -> Self:
        start = getattr(self, self.date_field, None)
        if self.date_precision == "range":
            if self.date_until is None:
                raise ValueError("date_precision “range” needs date_until (the range's last day)")
            if start is not None and self.date_until <= start:
                raise ValueError("date_until must come after the date")
        elif self.date_until is not None:
            raise ValueError("date_until is only for date_precision “range”")
        return self
