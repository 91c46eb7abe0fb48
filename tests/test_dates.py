"""Date phrases readers type (core/dates.py): days, months, parts of months and windows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.dates import DateWindow, ReversedWindow, format_span, parse_span, parse_window

KYIV = ZoneInfo("Europe/Kyiv")
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=KYIV)
D = dt.date

WINDOWS = [
    # A month alone is its first day for `since` (never today's day of the month).
    ("since May 2025", D(2025, 5, 1), None, "since Thu 1 May 2025"),
    ("since mid-March 2025", D(2025, 3, 15), None, "since Sat 15 Mar 2025"),
    ("since early June 2025", D(2025, 6, 1), None, "since Sun 1 Jun 2025"),
    ("since late May 2025", D(2025, 5, 21), None, "since Wed 21 May 2025"),
    ("since the end of May 2025", D(2025, 5, 21), None, "since Wed 21 May 2025"),
    ("since 2 June 2025", D(2025, 6, 2), None, "since Mon 2 Jun 2025"),
    ("since 2025-06-02", D(2025, 6, 2), None, "since Mon 2 Jun 2025"),
    ("since yesterday", D(2026, 12, 6), None, "since Sun 6 Dec 2026"),
    ("since 3 days ago", D(2026, 12, 4), None, "since Fri 4 Dec 2026"),
    # A month without a year is the latest one not in the future.
    ("since March", D(2026, 3, 1), None, "since Sun 1 Mar 2026"),
    # `until` takes the last day a phrase covers.
    ("until May 2025", None, D(2025, 5, 31), "until Sat 31 May 2025"),
    ("until early June 2025", None, D(2025, 6, 10), "until Tue 10 Jun 2025"),
    ("until mid-June 2025", None, D(2025, 6, 15), "until Sun 15 Jun 2025"),
    ("until 2 June 2025", None, D(2025, 6, 2), "until Mon 2 Jun 2025"),
    # `in` is every day of the phrase.
    ("in May 2025", D(2025, 5, 1), D(2025, 5, 31), "1–31 May 2025"),
    ("in February 2024", D(2024, 2, 1), D(2024, 2, 29), "1–29 Feb 2024"),
    ("in early June 2025", D(2025, 6, 1), D(2025, 6, 10), "1–10 Jun 2025"),
    ("in mid-June 2025", D(2025, 6, 11), D(2025, 6, 20), "11–20 Jun 2025"),
    ("in late June 2025", D(2025, 6, 21), D(2025, 6, 30), "21–30 Jun 2025"),
    ("in 2025", D(2025, 1, 1), D(2025, 12, 31), "1 Jan – 31 Dec 2025"),
    ("on 2 June 2025", D(2025, 6, 2), D(2025, 6, 2), "Mon 2 Jun 2025"),
    ("between 1 and 15 June 2025", D(2025, 6, 1), D(2025, 6, 15), "1–15 Jun 2025"),
    ("between 1 June and 15 June 2025", D(2025, 6, 1), D(2025, 6, 15), "1–15 Jun 2025"),
    ("between 28 May and 3 June 2025", D(2025, 5, 28), D(2025, 6, 3), "28 May – 3 Jun 2025"),
    ("between 1 and 15 June", D(2026, 6, 1), D(2026, 6, 15), "1–15 Jun 2026"),
    ("between May 2025 and June 2025", D(2025, 5, 1), D(2025, 6, 30), "1 May – 30 Jun 2025"),
    (
        "from 20 Dec 2024 to 10 Jan 2025",
        D(2024, 12, 20),
        D(2025, 1, 10),
        "20 Dec 2024 – 10 Jan 2025",
    ),
    # Ukrainian and Russian.
    ("з 1 червня 2025", D(2025, 6, 1), None, "since Sun 1 Jun 2025"),
    ("у травні 2025", D(2025, 5, 1), D(2025, 5, 31), "1–31 May 2025"),
    ("в мае 2025", D(2025, 5, 1), D(2025, 5, 31), "1–31 May 2025"),
    ("з середини березня 2025", D(2025, 3, 15), None, "since Sat 15 Mar 2025"),
    ("с конца мая 2025", D(2025, 5, 21), None, "since Wed 21 May 2025"),
    ("між 1 і 15 червня 2025", D(2025, 6, 1), D(2025, 6, 15), "1–15 Jun 2025"),
    ("с 1 по 15 июня 2025", D(2025, 6, 1), D(2025, 6, 15), "1–15 Jun 2025"),
    ("в конце мая 2025", D(2025, 5, 21), D(2025, 5, 31), "21–31 May 2025"),
    ("since вчора", D(2026, 12, 6), None, "since Sun 6 Dec 2026"),
    # Weekdays after з / с / до are in the genitive ("з понеділка" is "since Monday").
    ("since Friday", D(2026, 12, 4), None, "since Fri 4 Dec 2026"),
    ("з пʼятниці", D(2026, 12, 4), None, "since Fri 4 Dec 2026"),
    ("з п'ятниці", D(2026, 12, 4), None, "since Fri 4 Dec 2026"),
    ("с пятницы", D(2026, 12, 4), None, "since Fri 4 Dec 2026"),
    ("з четверга", D(2026, 12, 3), None, "since Thu 3 Dec 2026"),
    ("с четверга", D(2026, 12, 3), None, "since Thu 3 Dec 2026"),
    ("до середи", None, D(2026, 12, 2), "until Wed 2 Dec 2026"),
    ("с воскресенья", D(2026, 12, 6), None, "since Sun 6 Dec 2026"),
    ("з неділі", D(2026, 12, 6), None, "since Sun 6 Dec 2026"),
]


@pytest.mark.parametrize(("text", "start", "end", "label"), WINDOWS, ids=[w[0] for w in WINDOWS])
def test_windows_read_as_a_person_means_them(
    text: str, start: dt.date | None, end: dt.date | None, label: str
) -> None:
    window = parse_window(text, tz=KYIV, now=NOW)
    assert window == DateWindow(start, end)
    assert window.label() == label


@pytest.mark.parametrize(
    "text",
    [
        "since blurgh",
        "since",
        "in early blurgh",
        "between 31 and 15 February 2025",  # no 31 February
        "since mid-2025",
        "May 2025",  # no since/until/in/between
        "since " + "9" * 200,
    ],
)
def test_unreadable_windows_are_refused(text: str) -> None:
    assert parse_window(text, tz=KYIV, now=NOW) is None


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("between 15 and 1 June 2025", D(2025, 6, 15), D(2025, 6, 1)),
        ("since 1 June 2025 until 1 May 2025", D(2025, 6, 1), D(2025, 5, 1)),
        ("між 20 і 10 травня 2025", D(2025, 5, 20), D(2025, 5, 10)),
        ("between late May and early May 2025", D(2025, 5, 21), D(2025, 5, 10)),
    ],
)
def test_windows_ending_before_they_start_say_both_dates(
    text: str, start: dt.date, end: dt.date
) -> None:
    assert parse_window(text, tz=KYIV, now=NOW) == ReversedWindow(start, end)


def test_spans_keep_which_part_of_the_month() -> None:
    mid = parse_span("mid-March 2025", tz=KYIV, now=NOW)
    assert mid is not None
    assert (mid.start, mid.end, mid.first, mid.last) == (
        D(2025, 3, 11),
        D(2025, 3, 20),
        D(2025, 3, 15),
        D(2025, 3, 15),
    )
    day = parse_span("2 June 2025", tz=KYIV, now=NOW)
    assert day is not None and (day.start, day.end) == (D(2025, 6, 2), D(2025, 6, 2))


def test_spans_are_written_compactly() -> None:
    assert format_span(D(2025, 6, 2), D(2025, 6, 2)) == "Mon 2 Jun 2025"
    assert format_span(D(2025, 6, 1), D(2025, 6, 15)) == "1–15 Jun 2025"
    assert format_span(D(2025, 5, 28), D(2025, 6, 3)) == "28 May – 3 Jun 2025"
    assert format_span(D(2024, 12, 20), D(2025, 1, 10)) == "20 Dec 2024 – 10 Jan 2025"
