"""Dates as precise as their sources: a day, a month, or a range, each possibly approximate."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.dates import (
    format_date,
    format_month,
    format_span,
    month_name,
    parse_date,
    parse_span,
)
from core.i18n import DEFAULT_LANGUAGE, using_language

PRECISIONS = ("day", "month", "range")
_MONTH_NUMBERS = {
    name.casefold(): n
    for n, full in enumerate(calendar.month_name[1:], start=1)
    for name in (full, full[:3])
} | {"sept": 9}
_APPROX = re.compile(r"^(?:~|≈|about|around|approx(?:imately|\.)?|c\.|circa)\s*", re.IGNORECASE)
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
_ISO_WHEN = re.compile(r"(~)?(\d{4}-\d{2})(-\d{2})?(?:/(\d{4}-\d{2}-\d{2}))?")
_DASH = r"\s*(?:–|—|-|to|until)\s*"
# "23–25 May 2025", "23-25 May"
_DAYS_MONTH = re.compile(
    rf"(\d{{1,2}}){_DASH}(\d{{1,2}})\s+([a-z]{{3,9}})\.?,?(?:\s+(\d{{4}}))?", re.I
)
# "30 May – 2 June 2025", "2025-05-30 – 2025-06-02"
_TWO_DATES = re.compile(r"(.+?\S)\s+(?:–|—|-|to|until)\s+(.+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class When:
    """A fact's date as precise as its sources: `start`, and for a range its last day."""

    start: dt.date
    precision: str = "day"
    until: dt.date | None = None
    approx: bool = False

    @property
    def exact(self) -> bool:
        """True for a plain day, which the bot writes as 'Mon 2 Jun 2025'."""
        return self.precision == "day" and not self.approx


def format_when(when: When) -> str:
    """'Mon 2 Jun 2025', '~Mon 2 Jun 2025', 'May 2025', '23–25 May 2025', '~20–21 Nov 2025'."""
    tilde = "~" if when.approx else ""
    start = when.start
    if when.precision == "month":
        return tilde + format_month(start)
    end = when.until
    if when.precision != "range" or end is None or end == start:
        return tilde + format_date(start)
    return tilde + format_span(start, end)


def typed_when(when: When) -> str:
    """The date as an editor types it back in a form (read again by `parse_when`), in English."""
    if when.exact:
        return when.start.isoformat()
    with using_language(DEFAULT_LANGUAGE):
        plain = f"{when.start.day} {month_name(when.start)} {when.start.year}"
        return format_when(when).replace(format_date(when.start), plain)


def iso_when(when: When) -> str:
    """The date stored as text (another source's date): '2025-06-02', '2025-05',
    '2025-05-23/2025-05-25', '~' before an approximate one; read back by `when_from_iso`."""
    tilde = "~" if when.approx else ""
    if when.precision == "month":
        return f"{tilde}{when.start:%Y-%m}"
    if when.precision == "range" and when.until is not None and when.until != when.start:
        return f"{tilde}{when.start.isoformat()}/{when.until.isoformat()}"
    return tilde + when.start.isoformat()


def when_from_iso(text: str) -> When | None:
    """A date stored by `iso_when`, or None for any other text (e.g. one typed freely)."""
    match = _ISO_WHEN.fullmatch(text.strip())
    if match is None or (match.group(4) and not match.group(3)):  # a month has no end
        return None
    tilde, month, day, until = match.groups()
    try:
        if day is None:
            return When(dt.date.fromisoformat(f"{month}-01"), "month", approx=bool(tilde))
        start = dt.date.fromisoformat(month + day)
        end = dt.date.fromisoformat(until) if until else None
    except ValueError:
        return None
    if end is not None and end <= start:
        return None
    return When(start, "range" if end else "day", end, bool(tilde))


def _month(name: str) -> int | None:
    return _MONTH_NUMBERS.get(name.casefold())


def parse_when(
    text: str,
    *,
    tz: ZoneInfo,
    languages: Sequence[str] = ("en", "uk", "ru"),
    now: dt.datetime | None = None,
) -> When | None:
    """Read a date as typed: '2 June 2025', 'May 2025', '23–25 May 2025', '~20–21 Nov 2025'."""
    text = " ".join(text.split())
    stripped = _APPROX.sub("", text, count=1)
    approx = stripped != text
    text = stripped
    if not text:
        return None
    # Months and parts of months ("May 2025", "mid-March 2025", "травень 2025") are read as
    # /latest reads them (core/dates.py parse_span): one reading of such phrases.
    span = parse_span(text, tz=tz, languages=languages, now=now)
    if span is not None and span.part is not None:
        return When(span.start, "range", span.end, True)
    if span is not None and _whole_month(span.start, span.end):
        return When(span.start, "month", approx=approx)
    if (m := _ISO_MONTH.fullmatch(text)) and 1 <= int(m.group(2)) <= 12:
        return When(dt.date(int(m.group(1)), int(m.group(2)), 1), "month", approx=approx)
    if (m := _DAYS_MONTH.fullmatch(text)) and _month(m.group(3)):
        year = f" {m.group(4)}" if m.group(4) else ""
        end = parse_date(f"{m.group(2)} {m.group(3)}{year}", tz=tz, languages=languages, now=now)
        try:
            start = end.replace(day=int(m.group(1))) if end else None
        except ValueError:
            return None
        return _span(start, end, approx)
    if m := _TWO_DATES.fullmatch(text):
        end = parse_date(m.group(2), tz=tz, languages=languages, now=now)
        first = m.group(1)
        if end is not None and not re.search(r"\d{4}", first):
            first = f"{first} {end.year}"
        start = parse_date(first, tz=tz, languages=languages, now=now)
        if start is not None and end is not None:
            return _span(start, end, approx)
    day = parse_date(text, tz=tz, languages=languages, now=now)
    return None if day is None else When(day, approx=approx)


def _whole_month(start: dt.date, end: dt.date) -> bool:
    last = calendar.monthrange(start.year, start.month)[1]
    return start.day == 1 and (end.year, end.month, end.day) == (start.year, start.month, last)


def _span(start: dt.date | None, end: dt.date | None, approx: bool) -> When | None:
    if start is None or end is None or end < start:
        return None
    if end == start:
        return When(start, approx=approx)
    return When(start, "range", end, approx)
