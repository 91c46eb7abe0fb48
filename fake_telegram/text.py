"""What Telegram does to a text after parsing: tdlib's normalization and the length limits."""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from typing import Any

from fake_telegram.common import (
    MAX_CAPTION_LENGTH,
    MAX_MESSAGE_LENGTH,
    JSONDict,
    _bad,
    utf16_len,
)
from fake_telegram.entities import telegram_html_to_plain


def _valid_entity(entity: Any) -> bool:
    return (
        isinstance(entity, dict)
        and isinstance(entity.get("type"), str)
        and all(isinstance(entity.get(k), int) and entity[k] >= 0 for k in ("offset", "length"))
    )


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def _normalize_text(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Apply tdlib's fix_formatted_text: drop '\\r', blank control chars, trim, prune entities."""
    removed: list[int] = []
    if _CONTROL.search(text) is None:
        clean = text
    else:
        chars: list[str] = []
        position = 0
        for ch in text:
            if ch == "\r":
                removed.append(position)
            else:
                chars.append(" " if ord(ch) < 32 and ch != "\n" else ch)
            position += 2 if ord(ch) > 0xFFFF else 1
        clean = "".join(chars)

    def shift(x: int) -> int:
        return x - bisect_left(removed, x) if removed else x

    encoded = clean.encode("utf-16-le", "surrogatepass")
    fixed: list[JSONDict] = []
    for entity in entities:
        start, end = shift(entity["offset"]), shift(entity["offset"] + entity["length"])
        if encoded[2 * start : 2 * end].decode("utf-16-le", "surrogatepass").strip(" \n"):
            fixed.append({**entity, "offset": start, "length": end - start})
    kept = clean.rstrip(" \n")
    if not kept:
        return "", []
    limit = utf16_len(kept)
    for entity in fixed:
        entity["length"] = min(entity["length"], limit - entity["offset"])
    first = min((e["offset"] for e in fixed), default=len(kept))
    lead = min(len(kept) - len(kept.lstrip(" \n")), first)
    for entity in fixed:
        entity["offset"] -= lead
    return kept[lead:], fixed


def _checked_text(
    plain: str, entities: list[JSONDict], *, caption: bool
) -> tuple[str, list[JSONDict]]:
    """Normalize like tdlib and apply Telegram's length limits (in UTF-16 units)."""
    plain, entities = _normalize_text(plain, entities)
    if not plain and not caption:
        raise _bad("message text is empty")
    if utf16_len(plain) > (MAX_CAPTION_LENGTH if caption else MAX_MESSAGE_LENGTH):
        raise _bad("message caption is too long" if caption else "message is too long")
    return plain, entities


# Parsing is a pure function of the text. Telegram's servers do this work, not the bot, so a
# benchmark that sends the same answer many times should not time it again and again. Refusals
# are not cached (exceptions are not memoized); callers get a copy of the entities.
@functools.lru_cache(maxsize=256)
def _parsed_html(text: str, strict_ampersand: bool, caption: bool) -> tuple[str, list[JSONDict]]:
    plain, entities = telegram_html_to_plain(text, strict_ampersand=strict_ampersand)
    return _checked_text(plain, entities, caption=caption)
