"""Words added to what /search indexes and reads, so readers find facts as they would ask.

A fact's date is searchable as "2 June 2025", "June 2025" and "2025-06-02"; ordinals are
searchable in any spelling ("third round", "3rd round", "round 3" all read as "third round").
"""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
]
_NUMBERED = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
_ROUND_NUMBER = re.compile(r"\b(round|раунд)\s+(?:no\.?\s*|№\s*|#\s*)?(\d{1,2})\b", re.IGNORECASE)


def ordinal_word(number: int) -> str | None:
    """'third' for 3 (1 to 20), else None."""
    return ORDINALS[number - 1] if 1 <= number <= len(ORDINALS) else None


def date_words(day: dt.date) -> str:
    """A fact's date as readers type it: '2 June 2025' and '2025 06 02' (as '2025-06-02' is
    read: PostgreSQL's parser would make '-06' of '2025-06-02', which '06' does not match)."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year} {day:%Y %m %d}"


def ordinal_words(text: str) -> str:
    """The word form of each numbered ordinal in `text` ('3rd', 'round 3' -> 'third')."""
    found: list[str] = []
    for match in _NUMBERED.finditer(text):
        if (word := ordinal_word(int(match.group(1)))) is not None:
            found.append(word)
    for match in _ROUND_NUMBER.finditer(text):
        if (word := ordinal_word(int(match.group(2)))) is not None:
            found.append(word)
    return " ".join(dict.fromkeys(found))


_MONTH_NAMES = {name.lower()[:3]: name.lower() for name in _MONTHS} | {"sept": "september"}


def normalize_terms(terms: list[str]) -> list[str]:
    """Query words as indexed: ordinals in word form (['round', '3'] -> ['round', 'third'],
    but not in 'round 2 June'), month abbreviations in full ('jul' -> 'july')."""
    out: list[str] = []
    for index, term in enumerate(terms):
        match = _NUMBERED.fullmatch(term)
        word = ordinal_word(int(match.group(1))) if match else _MONTH_NAMES.get(term)
        following = terms[index + 1] if index + 1 < len(terms) else ""
        dated = following in _MONTH_NAMES or following in _MONTH_NAMES.values()
        if word is None and out and out[-1] in ("round", "раунд") and term.isdigit() and not dated:
            word = ordinal_word(int(term))
        out.append(word or term)
    return out
