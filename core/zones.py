"""Time zones and times of day as subscribers type them: IANA names, city names, 7:30, 8am."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import cache

from core.i18n import DEFAULT_LANGUAGE, N_, current_language

# Common names that are not the last part of an IANA zone name.
_EXTRA = {
    "kiev": "Europe/Kyiv",
    "kyiv": "Europe/Kyiv",
    "europe/kiev": "Europe/Kyiv",  # the old IANA name: the bot says "Kyiv time" throughout
    "washington": "America/New_York",
    "dc": "America/New_York",
    "nyc": "America/New_York",
    "san francisco": "America/Los_Angeles",
    "la": "America/Los_Angeles",
    "beijing": "Asia/Shanghai",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "ankara": "Europe/Istanbul",
    "utc": "UTC",
    "gmt": "Etc/GMT",
}
# Cities as Ukrainian and Russian readers write them (keys lower-case; "ё" is read as "е").
_CYRILLIC = {
    "київ": "Europe/Kyiv",
    "киев": "Europe/Kyiv",
    "одеса": "Europe/Kyiv",
    "одесса": "Europe/Kyiv",
    "львів": "Europe/Kyiv",
    "львов": "Europe/Kyiv",
    "харків": "Europe/Kyiv",
    "харьков": "Europe/Kyiv",
    "дніпро": "Europe/Kyiv",
    "днепр": "Europe/Kyiv",
    "запоріжжя": "Europe/Kyiv",
    "запорожье": "Europe/Kyiv",
    "україна": "Europe/Kyiv",
    "украина": "Europe/Kyiv",
    "сімферополь": "Europe/Simferopol",
    "симферополь": "Europe/Simferopol",
    "москва": "Europe/Moscow",
    "санкт-петербург": "Europe/Moscow",
    "петербург": "Europe/Moscow",
    "мінськ": "Europe/Minsk",
    "минск": "Europe/Minsk",
    "кишинів": "Europe/Chisinau",
    "кишинев": "Europe/Chisinau",
    "варшава": "Europe/Warsaw",
    "лондон": "Europe/London",
    "берлін": "Europe/Berlin",
    "берлин": "Europe/Berlin",
    "париж": "Europe/Paris",
    "рим": "Europe/Rome",
    "мадрид": "Europe/Madrid",
    "прага": "Europe/Prague",
    "відень": "Europe/Vienna",
    "вена": "Europe/Vienna",
    "брюссель": "Europe/Brussels",
    "амстердам": "Europe/Amsterdam",
    "вільнюс": "Europe/Vilnius",
    "вильнюс": "Europe/Vilnius",
    "рига": "Europe/Riga",
    "таллінн": "Europe/Tallinn",
    "таллин": "Europe/Tallinn",
    "гельсінкі": "Europe/Helsinki",
    "хельсинки": "Europe/Helsinki",
    "стокгольм": "Europe/Stockholm",
    "бухарест": "Europe/Bucharest",
    "будапешт": "Europe/Budapest",
    "стамбул": "Europe/Istanbul",
    "анкара": "Europe/Istanbul",
    "женева": "Europe/Zurich",
    "цюрих": "Europe/Zurich",
    "ер-ріяд": "Asia/Riyadh",
    "эр-рияд": "Asia/Riyadh",
    "ріяд": "Asia/Riyadh",
    "рияд": "Asia/Riyadh",
    "дубай": "Asia/Dubai",
    "тбілісі": "Asia/Tbilisi",
    "тбилиси": "Asia/Tbilisi",
    "єреван": "Asia/Yerevan",
    "ереван": "Asia/Yerevan",
    "баку": "Asia/Baku",
    "астана": "Asia/Almaty",
    "пекін": "Asia/Shanghai",
    "пекин": "Asia/Shanghai",
    "токіо": "Asia/Tokyo",
    "токио": "Asia/Tokyo",
    "нью-йорк": "America/New_York",
    "нью йорк": "America/New_York",
    "вашингтон": "America/New_York",
    "торонто": "America/Toronto",
    "лос-анджелес": "America/Los_Angeles",
    "київський час": "Europe/Kyiv",
    "киевское время": "Europe/Kyiv",
    "московський час": "Europe/Moscow",
    "московское время": "Europe/Moscow",
}
ZONE_EXAMPLES = N_("Kyiv, London, New York, Europe/Berlin, UTC")

_TIME_OF_DAY = r"\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?|noon|midnight"
_TIME = re.compile(rf"^\s*(?P<time>{_TIME_OF_DAY})(?!\w)\s*(?P<rest>.*)$", re.IGNORECASE)


@cache
def _zone_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for zone in sorted(zoneinfo.available_timezones()):
        names.setdefault(zone.lower(), zone)
        city = zone.rsplit("/", 1)[-1].replace("_", " ").lower()
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/")):
            names.setdefault(city, zone)
    names.update(_EXTRA)
    names.update(_CYRILLIC)
    return names


def zone_city(zone: str) -> str:
    """The city of an IANA zone as the reader says it: 'New York', 'Нью-Йорк', 'Киев'."""
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    language = current_language()
    if language == DEFAULT_LANGUAGE or "/" not in zone:
        return city
    from babel.dates import get_timezone_location  # not on English's path

    try:
        return str(get_timezone_location(zone, locale=language, return_city=True))
    except LookupError:
        return city


def resolve_zone(text: str) -> str | None:
    """The IANA zone meant by an IANA name or a city ('London', 'new york'); None if unknown."""
    key = " ".join(text.strip().replace("_", " ").lower().replace("ё", "е").split())
    if not key:
        return None
    names = _zone_names()
    return names.get(key) or names.get(key.replace(" ", "_"))


def parse_time_of_day(text: str) -> dt.time | None:
    """'7:30', '07:00', '8am', '8 pm', 'noon' -> a time; None when it is not a valid time."""
    text = text.strip()
    if not text or len(text) > 20:
        return None
    if not re.fullmatch(_TIME_OF_DAY, text, re.IGNORECASE):
        return None  # dateparser would also take "tomorrow" or "now" and invent a time
    if text.isdigit():  # a bare hour; dateparser would read "8" as the 8th day at midnight
        return dt.time(int(text)) if int(text) <= 23 else None
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", text)
    if match and (int(match.group(1)) > 23 or int(match.group(2)) > 59):
        return None
    import dateparser  # ~0.1 s to import: not on the start-up path

    parsed = dateparser.parse(
        text, languages=["en"], settings={"PREFER_DATES_FROM": "future", "STRICT_PARSING": False}
    )
    if parsed is None:
        return None
    return parsed.time().replace(second=0, microsecond=0)


def split_time_and_zone(args: str) -> tuple[str, str]:
    """'8am Europe/Kyiv' -> ('8am', 'Europe/Kyiv'); a zone alone -> ('', zone)."""
    match = _TIME.match(args)
    if match is None:
        return "", args.strip()
    return match.group("time").strip(), match.group("rest").strip()


def local_datetime(day: dt.date, at: dt.time, zone: str) -> dt.datetime:
    """The aware instant of `at` on `day` in `zone` (DST gaps resolve as zoneinfo does)."""
    return dt.datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(zone))
