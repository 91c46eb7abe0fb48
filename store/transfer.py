"""Input types every fact kind shares, for import files and editors' forms (docs/data-format.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

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


class FactIn(StrictModel):
    """Fields every fact shares."""

    key: Key | None = None
    # Every fact is sourced (docs/data-format.md): an empty list is refused.
    sources: Annotated[list[Key | SourceIn], Field(min_length=1)]
    retracted: RetractionIn | None = None
    created_at: dt.datetime | None = None
