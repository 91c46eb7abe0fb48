"""The reader's language: gettext lookups keyed by the language of the update being served.

Every user-facing string goes through `_()` (or `ngettext()` for counts) at the moment it is
shown. Strings defined at import time (module constants) are marked with `N_()` and passed
through `_()` where they are used, so they follow the language of each reader.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("en", "uk", "ru")
DEFAULT_LANGUAGE = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).with_name("locales")

_language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def supported(code: str | None) -> str:
    """The supported language closest to a Telegram `language_code` (e.g. "uk-UA" -> "uk")."""
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    """The language of the update (or briefing) being served now."""
    return _language.get()


@contextmanager
def using_language(code: str | None) -> Iterator[str]:
    """Serve everything inside the block in `code` (falls back to English)."""
    language = supported(code)
    token = _language.set(language)
    try:
        yield language
    finally:
        _language.reset(token)


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of one language; English and a missing catalog fall back to msgids."""
    if language == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def _(message: str) -> str:
    """Translate `message` into the current language."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a count-dependent message with the current language's plural rules."""
    return translations(_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (translate it with `_()` at use)."""
    return message
