"""Dates as precise as their sources: a day, a month, or a range, each possibly approximate."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.dates import format_date, parse_date

PRECISIONS = ("day", "month", "range")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {
    name.casefold(): n
    for n, full in enumerate(calendar.month_name[1:], start=1)
    for name in (full, full[:3])
} | {"sept": 9}
_APPROX = re.compile(r"^(?:~|≈|about|around|approx(?:imately|\.)?|c\.|circa)\s*", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"([a-z]{3,9})\.?,?\s+(\d{4})", re.IGNORECASE)
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
# "early June 2025", "mid-March 2025", "late May 2025": a third of the month, approximately.
_PART_OF_MONTH = re.compile(r"(early|mid|late)[\s-]+([a-z]{3,9})\.?,?\s+(\d{4})", re.IGNORECASE)
_THIRDS = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}
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
        return f"{tilde}{_MONTHS[start.month - 1]} {start.year}"
    end = when.until
    if when.precision != "range" or end is None or end == start:
        return tilde + format_date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{tilde}{start.day}–{end.day} {_MONTHS[end.month - 1]} {end.year}"
    head = f"{start.day} {_MONTHS[start.month - 1]}"
    if start.year != end.year:
        head += f" {start.year}"
    return f"{tilde}{head} – {end.day} {_MONTHS[end.month - 1]} {end.year}"


def typed_when(when: When) -> str:
    """The date as an editor types it back in a form (read again by `parse_when`)."""
    if when.exact:
        return when.start.isoformat()
    return format_when(when).replace(format_date(when.start), _plain(when.start))


def _plain(day: dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


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
    if (m := _MONTH_YEAR.fullmatch(text)) and (month := _month(m.group(1))):
        return When(dt.date(int(m.group(2)), month, 1), "month", approx=approx)
    if (m := _PART_OF_MONTH.fullmatch(text)) and (month := _month(m.group(2))):
        in_year = int(m.group(3))
        from_day, to_day = _THIRDS[m.group(1).casefold()]
        to_day = min(to_day, calendar.monthrange(in_year, month)[1])
        return When(
            dt.date(in_year, month, from_day), "range", dt.date(in_year, month, to_day), True
        )
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


def _span(start: dt.date | None, end: dt.date | None, approx: bool) -> When | None:
    if start is None or end is None or end < start:
        return None
    if end == start:
        return When(start, approx=approx)
    return When(start, "range", end, approx)
