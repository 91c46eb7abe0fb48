"""Plain-text helpers for Telegram HTML: escaping, clipping, counting what Telegram counts."""

from __future__ import annotations

import html
import re

from core.i18n import DEFAULT_LANGUAGE, current_language

# Telegram counts the text left after entity parsing; keep a margin under its 4096.
MESSAGE_LIMIT = 4000

_TAG = re.compile(r"<[^>]+>")
# Runs of whitespace to fold into one space; no-break spaces stay (they keep "1 200" on one line).
_SPACES = re.compile(r"[^\S\u00a0\u2007\u202f]+")


def esc(value: object) -> str:
    """Escape a stored string for Telegram HTML."""
    return html.escape(str(value), quote=True)


def clip(value: str, limit: int) -> str:
    """Shorten a stored string to `limit` characters, marking the cut with an ellipsis."""
    value = _SPACES.sub(" ", value).strip()
    if len(value) <= limit:
        return value
    return value[: limit - 1].rstrip() + "…"


def visible_length(html_text: str) -> int:
    """How long Telegram will count a message: tags dropped, entities decoded, UTF-16 units."""
    plain = html.unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def number(n: int) -> str:
    """A count with the reader's thousands separators, e.g. 1,000 or 1 000."""
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        return f"{n:,}"
    from babel.numbers import format_decimal  # not on English's path

    return format_decimal(n, locale=language)
