"""Natural-language dates (dateparser) and the one unambiguous way the bot writes dates."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from core.i18n import DEFAULT_LANGUAGE, N_, current_language

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Prepositions people type before a date ("since Monday", "в понеділок", "з 1 червня").
_SKIP_TOKENS = ["since", "from", "on", "в", "у", "з", "із", "с", "со", "від", "от"]

DATE_EXAMPLES = N_(
    "yesterday, Monday, 2 June, 2 June 2025, 2025-06-02, 3 days ago, last week, вчора"
)


def format_date(day: dt.date) -> str:
    """A date nobody can misread, in the reader's language: 'Mon 2 Jun 2025', 'пн, 2 черв. 2025'."""
    language = current_language()
    if language != DEFAULT_LANGUAGE:
        return _babel_date(day, "EEE, d MMM y", language)
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def _day_and_month(day: dt.date) -> str:
    language = current_language()
    if language != DEFAULT_LANGUAGE:
        return _babel_date(day, "EEE, d MMM", language)
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def _babel_date(day: dt.date, pattern: str, language: str) -> str:
    from babel.dates import format_date as babel_format_date  # not on English's path

    return babel_format_date(day, pattern, locale=language)


def format_date_range(start: dt.date, end: dt.date | None) -> str:
    """'Fri 23 May 2025' or 'Fri 23 May – Sun 25 May 2025' for a span."""
    if end is None or end == start:
        return format_date(start)
    if start.year == end.year:
        return f"{_day_and_month(start)} – {format_date(end)}"
    return f"{format_date(start)} – {format_date(end)}"


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s+([a-z]{3,9})\.?,?\s+(\d{4})", re.IGNORECASE)
_FULL_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH_NUMBERS = {
    name: number for number, full in enumerate(_FULL_MONTHS, start=1) for name in (full, full[:3])
} | {"sept": 9}


def _absolute_date(text: str) -> dt.date | None:
    """'2025-06-02' or '2 June 2025' / '2 Jun 2025': no need to ask dateparser (1-4 ms)."""
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DAY_MONTH_YEAR.fullmatch(text):
        month_number = _MONTH_NUMBERS.get(match.group(2).casefold())
        if month_number is None:
            return None
        year, month, day = int(match.group(3)), month_number, int(match.group(1))
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(
    text: str,
    *,
    tz: ZoneInfo,
    languages: Sequence[str] = ("en", "uk", "ru"),
    now: dt.datetime | None = None,
) -> dt.date | None:
    """Read a date typed by a person, relative to now in `tz`, preferring the past."""
    text = text.strip()
    if not text or len(text) > 64:
        return None
    if (absolute := _absolute_date(text)) is not None:
        return absolute
    base = (now or dt.datetime.now(tz)).astimezone(tz).replace(tzinfo=None)
    import dateparser  # ~0.1 s to import: not on the start-up path (warm_up loads it)

    parsed = dateparser.parse(
        text,
        languages=list(languages),
        settings={
            "PREFER_DATES_FROM": "past",
            "RELATIVE_BASE": base,
            "DATE_ORDER": "DMY",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "SKIP_TOKENS": _SKIP_TOKENS,
        },
    )
    return None if parsed is None else parsed.date()


def warm_up(languages: Sequence[str] = ("en", "uk", "ru")) -> None:
    """Load dateparser's language data once, so the first user does not wait for it."""
    tz = ZoneInfo("UTC")
    for sample in ("Monday", "вчора", "вчера", "2 June 2025", "blurgh"):
        parse_date(sample, tz=tz, languages=languages)
