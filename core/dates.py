"""Natural-language dates (dateparser) and the one unambiguous way the bot writes dates."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.i18n import DEFAULT_LANGUAGE, N_, _, current_language

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Prepositions people type before a date ("since Monday", "в понеділок", "з 1 червня").
_SKIP_TOKENS = ["since", "from", "on", "в", "у", "з", "із", "с", "со", "від", "от"]

# dateparser knows weekdays in the nominative only; "з понеділка", "с пятницы" name them in
# the genitive ("четверга" is both languages', hence its two readings below).
_GENITIVE_WEEKDAYS = {
    "понеділка": "понеділок",
    "вівторка": "вівторок",
    "середи": "середа",
    "пʼятниці": "пʼятниця",
    "п'ятниці": "п'ятниця",
    "п’ятниці": "п’ятниця",
    "суботи": "субота",
    "неділі": "неділя",
    "понедельника": "понедельник",
    "вторника": "вторник",
    "среды": "среда",
    "пятницы": "пятница",
    "субботы": "суббота",
    "воскресенья": "воскресенье",
}
_WORD = re.compile(r"[\w'ʼ’]+")

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


def month_name(day: dt.date) -> str:
    """The month of a day, abbreviated, in the reader's language: 'Jun', 'черв.', 'июн.'."""
    language = current_language()
    if language != DEFAULT_LANGUAGE:
        return _babel_date(day, "MMM", language)
    return _MONTHS[day.month - 1]


def format_month(day: dt.date) -> str:
    """A month and its year in the reader's language: 'May 2025', 'травень 2025'."""
    language = current_language()
    if language != DEFAULT_LANGUAGE:
        return _babel_date(day, "LLLL y", language)
    return f"{_MONTHS[day.month - 1]} {day.year}"


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
    text = _nominative_weekdays(text, languages)
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


def _nominative_weekdays(text: str, languages: Sequence[str]) -> str:
    """'з понеділка' → 'з понеділок': a weekday in the genitive as dateparser reads it."""
    thursday = "четвер" if "uk" in languages else "четверг"

    def nominative(match: re.Match[str]) -> str:
        word = match.group(0).casefold()
        return thursday if word == "четверга" else _GENITIVE_WEEKDAYS.get(word, match.group(0))

    return _WORD.sub(nominative, text)


def warm_up(languages: Sequence[str] = ("en", "uk", "ru")) -> None:
    """Load dateparser's language data once, so the first user does not wait for it."""
    tz = ZoneInfo("UTC")
    for sample in ("Monday", "вчора", "вчера", "2 June 2025", "blurgh"):
        parse_date(sample, tz=tz, languages=languages)


# ---------------------------------------------------------------- spans and windows
#
# A span is what one phrase means: a day, a month, a year, or part of a month ("early June").
# A window is what a reader asks for: since a day, until a day, or between two days.

_ORDINAL_DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?$", re.IGNORECASE)
_YEAR = re.compile(r"\b(\d{4})\b")
# Month names with the forms people type in Ukrainian and Russian ("у травні", "в мае").
_MONTH_WORDS: dict[str, int] = dict(_MONTH_NUMBERS)
for _number, _forms in enumerate(
    (
        "січень січня січні январь января январе",
        "лютий лютого лютому февраль февраля феврале",
        "березень березня березні март марта марте",
        "квітень квітня квітні апрель апреля апреле",
        "травень травня травні май мая мае",
        "червень червня червні июнь июня июне",
        "липень липня липні июль июля июле",
        "серпень серпня серпні август августа августе",
        "вересень вересня вересні сентябрь сентября сентябре",
        "жовтень жовтня жовтні октябрь октября октябре",
        "листопад листопада листопаді ноябрь ноября ноябре",
        "грудень грудня грудні декабрь декабря декабре",
    ),
    start=1,
):
    _MONTH_WORDS.update(dict.fromkeys(_forms.split(), _number))
# "early June", "mid-March", "на початку червня", "в конце мая": which part of the month.
_PART_WORDS = {
    "early": (
        "early",
        "beginning of",
        "start of",
        "the beginning of",
        "the start of",
        "на початку",
        "початку",
        "початок",
        "начала",
        "в начале",
        "начале",
        "начало",
    ),
    "mid": (
        "mid",
        "middle of",
        "the middle of",
        "у середині",
        "в середині",
        "середині",
        "середини",
        "середины",
        "середина",
        "в середине",
        "середине",
    ),
    "late": (
        "late",
        "end of",
        "the end of",
        "наприкінці",
        "в кінці",
        "у кінці",
        "кінці",
        "кінця",
        "конца",
        "кінець",
        "в конце",
        "конце",
        "конец",
    ),
}
_PARTS = sorted(
    ((w, part) for part, words in _PART_WORDS.items() for w in words),
    key=lambda pair: -len(pair[0]),
)
_MONTH_PHRASE = re.compile(r"^(?P<month>[^\W\d_]+)\.?(?:\s+(?P<year>\d{4}))?$")


@dataclass(frozen=True, slots=True)
class Span:
    """The days one phrase covers (inclusive); `part` says "early", "mid" or "late" of a month."""

    start: dt.date
    end: dt.date
    part: str | None = None

    @property
    def first(self) -> dt.date:
        """The day `since` reads the phrase as ("mid-March": the 15th)."""
        return self.start.replace(day=15) if self.part == "mid" else self.start

    @property
    def last(self) -> dt.date:
        """The day `until` reads the phrase as ("mid-March": the 15th)."""
        return self.start.replace(day=15) if self.part == "mid" else self.end


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _split_part(text: str) -> tuple[str | None, str]:
    lowered = text.casefold()
    for word, part in _PARTS:
        if lowered.startswith(word) and (
            len(lowered) == len(word) or not lowered[len(word)].isalnum()
        ):
            return part, text[len(word) :].lstrip(" -–").strip()
    return None, text


def _month_span(text: str, today: dt.date, part: str | None) -> Span | None:
    """'June', 'June 2025', 'травні 2025'; with a part, only its days (1–10, 11–20, 21–end)."""
    match = _MONTH_PHRASE.match(text)
    month = _MONTH_WORDS.get(match.group("month").casefold()) if match else None
    if match is None or month is None:
        return None
    if match.group("year"):
        year = int(match.group("year"))
    else:  # a month without a year is the latest one not in the future
        year = today.year if month <= today.month else today.year - 1
    if not 1 <= year <= 9999:
        return None
    start, end = dt.date(year, month, 1), _month_end(year, month)
    if part == "early":
        end = start.replace(day=10)
    elif part == "mid":
        start, end = start.replace(day=11), start.replace(day=20)
    elif part == "late":
        start = start.replace(day=21)
    return Span(start, end, part)


def parse_span(
    text: str,
    *,
    tz: ZoneInfo,
    languages: Sequence[str] = ("en", "uk", "ru"),
    now: dt.datetime | None = None,
) -> Span | None:
    """Read a day, a month ("May 2025"), a year or part of a month ("mid-March") as its days."""
    text = " ".join(text.split()).strip(" ,.")
    if not text or len(text) > 64:
        return None
    today = (now or dt.datetime.now(tz)).astimezone(tz).date()
    part, rest = _split_part(text)
    if (span := _month_span(rest, today, part)) is not None:
        return span
    if part is not None:
        return None  # "early" goes with a month only
    if (day := _absolute_date(text)) is not None:
        return Span(day, day)
    if (year := _YEAR.fullmatch(text)) is not None and 1 <= int(year.group(1)) <= 9999:
        number = int(year.group(1))
        return Span(dt.date(number, 1, 1), dt.date(number, 12, 31))
    day = parse_date(text, tz=tz, languages=languages, now=now)
    return None if day is None else Span(day, day)


@dataclass(frozen=True, slots=True)
class DateWindow:
    """The days a list is limited to: from `start` and/or up to `end`, both included."""

    start: dt.date | None = None
    end: dt.date | None = None

    def label(self) -> str:
        """The window as read, e.g. 'since Sat 15 Mar 2025' or '1–15 Jun 2025'."""
        if self.start is not None and self.end is not None:
            return format_span(self.start, self.end)
        if self.start is not None:
            return _("since {date}").format(date=format_date(self.start))
        if self.end is not None:
            return _("until {date}").format(date=format_date(self.end))
        return ""


@dataclass(frozen=True, slots=True)
class ReversedWindow:
    """Two dates that were both read but given the wrong way round: `end` is before `start`."""

    start: dt.date
    end: dt.date


def format_span(start: dt.date, end: dt.date) -> str:
    """'Mon 2 Jun 2025' for one day, '1–15 Jun 2025', '28 May – 15 Jun 2025' for more."""
    if start == end:
        return format_date(start)
    first_month, last_month = month_name(start), month_name(end)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {last_month} {end.year}"
    if start.year == end.year:
        return f"{start.day} {first_month} – {end.day} {last_month} {end.year}"
    return f"{start.day} {first_month} {start.year} – {end.day} {last_month} {end.year}"


WINDOW_EXAMPLES = N_(
    "since 1 May 2025, since mid-March, until 15 June 2025, in May 2025, "
    "between 1 and 15 June 2025, since yesterday, since Monday"
)
_SINCE = r"since|from|after|з|із|від|с|со|от|начиная с|починаючи з"
_UNTIL = r"until|till|til|to|up to|by|до|по"
_IN = r"in|on|during|у|в|во"
_BETWEEN = r"between|між|между"
_AND = r"and|&|і|й|та|и"
_WINDOW_FORMS = (
    ("between", re.compile(rf"^(?:{_BETWEEN})\s+(?P<a>.+?)\s+(?:{_AND})\s+(?P<b>.+)$", re.I)),
    ("range", re.compile(rf"^(?:{_SINCE})\s+(?P<a>.+?)\s+(?:{_UNTIL})\s+(?P<b>.+)$", re.I)),
    ("since", re.compile(rf"^(?:{_SINCE})\s+(?P<a>.+)$", re.I)),
    ("until", re.compile(rf"^(?:{_UNTIL})\s+(?P<a>.+)$", re.I)),
    ("in", re.compile(rf"^(?:{_IN})\s+(?P<a>.+)$", re.I)),
)
WINDOW_WORD = re.compile(rf"^(?:{_SINCE}|{_UNTIL}|{_IN}|{_BETWEEN})(?:\s|$)", re.IGNORECASE)


def _pair(
    a: str, b: str, *, tz: ZoneInfo, languages: Sequence[str], now: dt.datetime | None
) -> tuple[Span, Span] | None:
    """Both ends of 'between A and B'; A borrows B's month and year when it lacks them."""
    last = parse_span(b, tz=tz, languages=languages, now=now)
    if last is None:
        return None
    a = a.strip()
    if (day := _ORDINAL_DAY.match(a)) is not None:  # "between 1 and 15 June"
        try:
            first_day = last.start.replace(day=int(day.group(1)))
        except ValueError:
            return None
        return Span(first_day, first_day), last
    if not _YEAR.search(a) and _YEAR.search(b):  # "between 1 June and 15 June 2025"
        a = f"{a} {last.start.year}"
    first = parse_span(a, tz=tz, languages=languages, now=now)
    return None if first is None else (first, last)


def parse_window(
    text: str,
    *,
    tz: ZoneInfo,
    languages: Sequence[str] = ("en", "uk", "ru"),
    now: dt.datetime | None = None,
) -> DateWindow | ReversedWindow | None:
    """Read 'since DATE', 'until DATE', 'in May 2025' or 'between 1 and 15 June' as a window.

    None when a date can't be read; a `ReversedWindow` when both were but the end comes first.

    A month alone is its first day for `since`, its last for `until` and every day for `in`;
    "early", "mid" and "late" June are the 1st, the 15th and the 21st for `since` (the 10th,
    the 15th and the month's last day for `until`) and days 1–10, 11–20 and 21–end for `in`.
    """
    text = " ".join(text.split())
    if not text or len(text) > 100:
        return None
    for form, pattern in _WINDOW_FORMS:
        match = pattern.match(text)
        if match is None:
            continue
        if form in ("between", "range"):
            pair = _pair(match["a"], match["b"], tz=tz, languages=languages, now=now)
            if pair is None:
                if form == "range":
                    continue  # "2025-06-02" is one date with dashes, not a range
                return None
            start, end = pair[0].first, pair[1].last
            return DateWindow(start, end) if start <= end else ReversedWindow(start, end)
        span = parse_span(match["a"], tz=tz, languages=languages, now=now)
        if span is None:
            return None
        if form == "since":
            return DateWindow(start=span.first)
        if form == "until":
            return DateWindow(end=span.last)
        return DateWindow(span.start, span.end)
    return None
