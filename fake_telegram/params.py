"""Request parameters as the Bot API reads them, and reply markup validation."""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fake_telegram.common import MAX_CALLBACK_DATA_BYTES, MAX_INLINE_BUTTONS, JSONDict, _bad
from fake_telegram.entities import _checked_link


@dataclass(frozen=True)
class UploadedFile:
    """A file uploaded with a request (multipart part)."""

    filename: str
    content: bytes
    mime_type: str | None = None


class _Params:
    """Typed access to parameters that may be form strings, JSON strings or Python values."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = {k: v for k, v in raw.items() if v is not None}

    def get(self, name: str) -> Any:
        value = self.raw.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.raw.get(value[len("attach://") :], value)
        return value

    def text(self, name: str) -> str | None:
        value = self.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise _bad(f'field "{name}" must be of type String')

    def number(self, name: str, error: str | None = None) -> int | None:
        value = self.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value)
        try:
            return int(float(str(value).strip()))
        except ValueError:
            raise _bad(error or f'field "{name}" must be a valid Number') from None

    def real(self, name: str) -> float:
        value = self.get(name)
        try:
            return float(value) if value not in (None, "") else 0.0
        except (TypeError, ValueError):
            raise _bad(f'field "{name}" must be a valid Number') from None

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def obj(self, name: str, error: str) -> Any:
        value = self.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value) if value else None
            except ValueError:
                raise _bad(error) from None
        return value


Handler = Callable[[_Params], Awaitable[Any]]

_BUTTON_KINDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_MARKUP_ERROR = "can't parse reply keyboard markup JSON object"


def _parse_markup(raw: Any, *, inline_only: bool = False) -> JSONDict | None:
    """Decode and validate reply_markup (JSON string or dict) the way the Bot API does."""
    if raw is None or raw == "":
        return None
    markup = raw
    if isinstance(raw, str):
        try:
            markup = json.loads(raw)
        except ValueError:
            raise _bad(_MARKUP_ERROR) from None
    if not isinstance(markup, dict):
        raise _bad(_MARKUP_ERROR)
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
        if not any(markup["inline_keyboard"]):
            return None  # an empty inline keyboard is no keyboard
    elif inline_only:
        raise _bad("inline keyboard expected")
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise _bad(_MARKUP_ERROR)
    return markup


def _check_inline_keyboard(rows: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
        raise _bad("REPLY_MARKUP_TOO_LONG")
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict):
            raise _bad(prefix + "InlineKeyboardButton must be an Object")
        if not isinstance(button.get("text"), str):
            raise _bad(prefix + 'Field "text" must be of type String')
        kinds = [kind for kind in _BUTTON_KINDS if button.get(kind) is not None]
        if not kinds:
            raise _bad(prefix + "Text buttons are unallowed in the inline keyboard")
        if len(kinds) > 1:
            raise _bad(prefix + f"exactly one of the optional fields must be used, got {kinds}")
        data = button.get("callback_data")
        if data is not None and (
            not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES
        ):
            raise _bad("BUTTON_DATA_INVALID")
        url = button.get("url")
        if url is not None and (not isinstance(url, str) or not _checked_link(url, button=True)):
            raise _bad("BUTTON_URL_INVALID")


_PREVIEW_FLAGS = ("is_disabled", "prefer_small_media", "prefer_large_media", "show_above_text")


def _link_preview(p: _Params) -> JSONDict | None:
    """Decode link_preview_options the way the Bot API does: an object of typed fields."""
    options = p.obj("link_preview_options", "can't parse link preview options JSON object")
    if options is None:
        return None
    if not isinstance(options, dict):
        raise _bad("can't parse link preview options JSON object")
    for flag in _PREVIEW_FLAGS:
        if flag in options and not isinstance(options[flag], bool):
            raise _bad(f'field "{flag}" must be of type Boolean')
    if "url" in options and not isinstance(options["url"], str):
        raise _bad('field "url" must be of type String')
    return dict(options)


def _buttons(markup: JSONDict | None) -> list[list[tuple[str, str]]]:
    rows = (markup or {}).get("inline_keyboard") or []
    return [
        [(b["text"], str(b.get("callback_data") or b.get("url") or "")) for b in row]
        for row in rows
    ]
