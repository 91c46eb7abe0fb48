"""The reader's language: gettext lookups keyed by the language of the update being served.

Every user-facing string goes through `_()` (or `ngettext()` for counts) at the moment it is
shown. Strings defined at import time (module constants) are marked with `N_()` and passed
through `_()` where they are used, so they follow the language of each reader.
"""

from __future__ import annotations

import gettext as _gettext
import io
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


def set_language(code: str | None) -> str:
    """Serve the rest of the current task (one update) in `code`; returns the language used."""
    language = supported(code)
    _language.set(language)
    return language


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
    """The catalog of one language; English and a missing catalog fall back to msgids.

    `make install` compiles each .po into a .mo beside it; a missing or older .mo (a fresh
    clone run without make, an edited .po) is compiled in memory from the .po instead.
    """
    if language == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    if not po.exists():
        return _gettext.NullTranslations()
    return _compile(po)


def _compile(po: Path) -> _gettext.GNUTranslations:
    from babel.messages.mofile import write_mo  # only when no fresh .mo was built
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def load_catalogs() -> None:
    """Read every catalog and Babel's locale data once (at start, in a thread), so no reader
    waits for the first."""
    from babel import Locale

    for language in LANGUAGES:
        translations(language)
        _ = Locale.parse(language).months  # loads (and caches) the locale's data


def _(message: str) -> str:
    """Translate `message` into the current language."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a count-dependent message with the current language's plural rules."""
    return translations(_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (translate it with `_()` at use)."""
    return message
