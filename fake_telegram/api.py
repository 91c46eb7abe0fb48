"""A strict in-memory fake of the Telegram Bot API for tests, benchmarks and the local console.

``LocalBotApi`` holds what a Bot API server knows about one bot and answers every call with the
HTTP status and JSON body Telegram would send, including Telegram's error descriptions for the
mistakes that bite in production (bad HTML, over-long text, bad buttons, blocked users, flood
control).  ``LocalRequest`` plugs it into python-telegram-bot without any network.

Deliberate deviations from api.telegram.org: a bare ``&`` that is not an HTML entity is refused
(Telegram keeps it literally; the docs say to escape it), Markdown parse modes are refused, and
webhooks are recorded but never called.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import math
import mimetypes
import re
import time
from bisect import bisect_left
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

from telegram.request import BaseRequest, RequestData

__all__ = [
    "BOT_ID",
    "DEFAULT_USER_ID",
    "FAKE_TOKEN",
    "ApiError",
    "CallbackAnswer",
    "HtmlParseError",
    "LocalBotApi",
    "LocalRequest",
    "SentMessage",
    "UploadedFile",
    "telegram_html_to_plain",
    "utf16_len",
]

JSONDict = dict[str, Any]

FAKE_TOKEN = "123456:TEST-TOKEN-NOT-REAL"
BOT_ID = 1000001
DEFAULT_USER_ID = 200001
MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COMMANDS = 100
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_NOT_FOUND: JSONDict = {"ok": False, "error_code": 404, "description": "Not Found"}


class ApiError(Exception):
    """A Bot API error answer: HTTP status, Telegram's description and optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JSONDict:
        """Return the JSON body Telegram sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class HtmlParseError(ValueError):
    """Telegram refused the HTML; the message is tdlib's, without "can't parse entities: "."""


def _ordered_words(text: str) -> list[str]:
    return text.split()


def _words(text: str) -> frozenset[str]:
    return frozenset(_ordered_words(text))


_J = TypeVar("_J")


def _copy_json(value: _J) -> _J:
    """A deep copy of JSON-shaped data (dicts, lists, scalars), far cheaper than deepcopy."""
    if isinstance(value, dict):
        return cast(
            _J, {k: _copy_json(v) if isinstance(v, dict | list) else v for k, v in value.items()}
        )
    if isinstance(value, list):
        return cast(_J, [_copy_json(v) if isinstance(v, dict | list) else v for v in value])
    return value


def utf16_len(s: str) -> int:
    """Return the length of ``s`` in UTF-16 code units, the unit Telegram counts in."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


# --------------------------------------------------------------------------------------------
# HTML parse mode: a port of tdlib's parse_html (td/telegram/MessageEntity.cpp)
# --------------------------------------------------------------------------------------------

_SPACES = frozenset(b" \t\n\v\f\r\0")
_DIGITS = frozenset(b"0123456789")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_ALPHA = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_TOKEN = _ALPHA | _DIGITS | frozenset(b".-")
_ATTR_NAME_STOP = _SPACES | frozenset(b"=>/\"'")
_NAMED_ENTITIES = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}
_LT, _GT, _AMP, _SLASH, _EQ = 0x3C, 0x3E, 0x26, 0x2F, 0x3D
_SUPPORTED_TAGS = _words(
    "a b strong i em s strike del u ins tg-spoiler tg-emoji span pre code blockquote"
)
_SIMPLE_TAGS = {
    tag: kind
    for kind, tags in [
        ("bold", "b strong"),
        ("italic", "i em"),
        ("underline", "u ins"),
        ("strikethrough", "s strike del"),
        ("spoiler", "tg-spoiler span"),
    ]
    for tag in tags.split()
}
# tdlib's tie-break for entities with the same span: outermost first.
_TYPE_PRIORITY = {
    kind: rank
    for rank, kind in enumerate(
        _ordered_words(
            "blockquote expandable_blockquote pre_code pre code text_link text_mention bold "
            "italic underline strikethrough spoiler custom_emoji"
        )
    )
}
_USER_LINK = re.compile(r"tg:(?://)?user\?(?:.*&)?id=(\d+)(?:&.*)?", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):(//)?")


def _byte(data: bytes, i: int) -> int:
    return data[i] if i < len(data) else 0


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int]:
    """Decode the entity at ``data[pos] == '&'`` like tdlib: (code point or 0, end position)."""
    end, code = pos + 1, 0
    if _byte(data, end) == ord("#"):
        end += 1
        hexadecimal = _byte(data, end) == ord("x")
        end += hexadecimal
        digits = _HEX if hexadecimal else _DIGITS
        while _byte(data, end) in digits:
            code = code * (16 if hexadecimal else 10) + int(chr(data[end]), 16)
            end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _byte(data, end) in _ALPHA:
            end += 1
        code = _NAMED_ENTITIES.get(data[pos + 1 : end], 0)
        if code == 0:
            return 0, pos
    return code, end + (_byte(data, end) == ord(";"))


# The two shapes bots send most, ``<b>`` and ``<a href="https://…">``, parsed in one regex match;
# anything else (other attributes, entities in values, odd spacing) takes tdlib's byte-wise path.
_PLAIN_START_TAG = re.compile(rb"<([a-zA-Z-]+)>")
_PLAIN_END_TAG = re.compile(rb"</([a-zA-Z-]*)>")
_SIMPLE_LINK_TAG = re.compile(rb'<[aA] href="([^"&\x00]*)">')


def _parse_start_tag(data: bytes, begin: int) -> tuple[str, str, int]:
    """Parse ``<tag attr=...>`` at ``begin``; return (tag, argument, index of the closing '>')."""
    if simple := _PLAIN_START_TAG.match(data, begin):
        tag = simple.group(1).lower().decode("ascii")
        if tag in _SUPPORTED_TAGS and tag != "span":
            return tag, "", simple.end() - 1
    elif link := _SIMPLE_LINK_TAG.match(data, begin):
        return "a", link.group(1).decode("utf-8", "replace"), link.end() - 1
    i = begin + 1
    while _byte(data, i) not in _SPACES and _byte(data, i) != _GT:
        i += 1
    if _byte(data, i) == 0:
        raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
    tag = data[begin + 1 : i].lower().decode("utf-8", "replace")
    if tag not in _SUPPORTED_TAGS:
        raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
    argument = ""
    while _byte(data, i) != _GT:
        while _byte(data, i) != 0 and _byte(data, i) in _SPACES:
            i += 1
        if _byte(data, i) == _GT:
            break
        name_begin = i
        while _byte(data, i) not in _ATTR_NAME_STOP:
            i += 1
        name = data[name_begin:i]
        if not name:
            raise HtmlParseError(f'Empty attribute name in the tag "{tag}" at byte offset {begin}')
        while _byte(data, i) != 0 and _byte(data, i) in _SPACES:
            i += 1
        if _byte(data, i) != _EQ:
            if _byte(data, i) == 0:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            if tag == "blockquote" and name == b"expandable":
                argument = "1"
            continue
        i += 1
        while _byte(data, i) != 0 and _byte(data, i) in _SPACES:
            i += 1
        if _byte(data, i) == 0:
            raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        if _byte(data, i) not in (ord("'"), ord('"')):
            token_begin = i
            while _byte(data, i) in _NAME_TOKEN:
                i += 1
            value = data[token_begin:i].lower().decode("ascii")
            if _byte(data, i) not in _SPACES and _byte(data, i) != _GT:
                raise HtmlParseError(f"Unexpected end of name token at byte offset {token_begin}")
        else:
            quote, buffer = data[i], bytearray()
            i += 1
            while _byte(data, i) not in (quote, 0):
                code, end = (0, i) if data[i] != _AMP else _decode_html_entity(data, i)
                if code:
                    buffer += chr(code).encode("utf-8", "surrogatepass")
                    i = end
                else:
                    buffer.append(data[i])
                    i += 1
            i += _byte(data, i) == quote
            value = buffer.decode("utf-8", "replace")
        if _byte(data, i) == 0:
            raise HtmlParseError(f"Unclosed start tag at byte offset {begin}")
        if tag == "a" and name == b"href":
            argument = value
        elif tag == "code" and name == b"class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == b"class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "tg-emoji" and name == b"emoji-id":
            argument = value
        elif tag == "blockquote" and name == b"expandable":
            argument = "1"
    if tag == "span" and argument != "spoiler":
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    return tag, argument, i


def _checked_link(url: str, *, button: bool = False) -> str | None:
    """Return the link Telegram would keep for ``url``, or None if Telegram drops/refuses it."""
    url = url.strip()
    if not url or _WHITESPACE.search(url):
        return None
    match = _SCHEME.match(url)
    scheme = match.group(1).lower() if match else ""
    if scheme in ("tg", "ton"):
        return url if len(url) > len(match.group(0) if match else "") else None
    if match and (match.group(2) or not url[match.end() :][:1].isdigit()):
        if scheme not in ("http", "https"):
            return None
    elif button:
        return None
    else:
        url = "http://" + url
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return url if host else None


def _close_tag(
    found: list[list[Any]], tag: str, argument: str, offset: int, length: int, inner: str
) -> None:
    """Turn a closed tag into an entity exactly like tdlib does (including pre/code merging)."""
    last = found[-1] if found else None
    same_span = last is not None and last[1] == offset and last[2] == length
    if tag in _SIMPLE_TAGS:
        found.append([_SIMPLE_TAGS[tag], offset, length, ""])
    elif tag == "tg-emoji":
        if not re.fullmatch(r"-?\d{1,19}", argument) or not 0 < abs(int(argument)) < 2**63:
            raise HtmlParseError("Invalid custom emoji identifier specified")
        found.append(["custom_emoji", offset, length, argument])
    elif tag == "a":
        url = argument or inner
        user = _USER_LINK.fullmatch(url.strip())
        if user:
            found.append(["text_mention", offset, length, user.group(1)])
        elif (checked := _checked_link(url)) is not None:
            found.append(["text_link", offset, length, checked])
    elif tag == "pre":
        if last is not None and same_span and last[0] == "code" and last[3]:
            last[0] = "pre_code"
        else:
            found.append(["pre", offset, length, ""])
    elif tag == "code":
        if last is not None and same_span and last[0] == "pre" and argument:
            last[0], last[3] = "pre_code", argument
        else:
            found.append(["code", offset, length, argument])
    else:  # blockquote
        kind = "expandable_blockquote" if argument else "blockquote"
        found.append([kind, offset, length, ""])


def _to_bot_api_entities(found: list[list[Any]]) -> list[JSONDict]:
    """Sort entities like tdlib and convert them to Bot API MessageEntity dicts."""
    pre_spans = {(o, n) for kind, o, n, _ in found if kind in ("pre", "pre_code")}
    entities: list[JSONDict] = []
    for kind, offset, length, arg in sorted(
        found, key=lambda e: (e[1], -e[2], _TYPE_PRIORITY[e[0]])
    ):
        if kind == "code" and (offset, length) in pre_spans:
            continue  # <pre><code>x</code></pre> without a language is a plain pre
        entity: JSONDict = {"type": kind, "offset": offset, "length": length}
        if kind == "pre_code":
            entity.update(type="pre", language=arg)
        elif kind == "text_link":
            entity["url"] = arg
        elif kind == "text_mention":
            entity["user"] = {"id": int(arg), "is_bot": False, "first_name": ""}
        elif kind == "custom_emoji":
            entity["custom_emoji_id"] = arg
        entities.append(entity)
    return entities


_MARKUP_BYTE = re.compile(rb"[<&]")


def telegram_html_to_plain(
    text: str, *, strict_ampersand: bool = True
) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML like tdlib; return (plain text, entities) or raise HtmlParseError."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise HtmlParseError("Strings must be encoded in UTF-8") from None
    out = bytearray()
    utf16 = 0
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 offset, output position
    found: list[list[Any]] = []  # [kind, utf16 offset, utf16 length, argument]
    i = 0
    while i < len(data):
        c = data[i]
        if c == _AMP:
            code, end = _decode_html_entity(data, i)
            if code:
                utf16 += 2 if code > 0xFFFF else 1
                out += chr(code).encode("utf-8", "surrogatepass")
                i = end
                continue
            if strict_ampersand:
                raise HtmlParseError(
                    f'Unescaped "&" at byte offset {i}; use &amp; (LocalBotApi strict mode: '
                    "Telegram itself would keep it as text)"
                )
        if c != _LT:
            # Copy the run of plain text up to the next markup byte in one go.
            special = _MARKUP_BYTE.search(data, i + 1)
            end = len(data) if special is None else special.start()
            run = data[i:end]
            out += run
            # Runs end at ASCII bytes, so they hold whole UTF-8 sequences: count first bytes.
            utf16 += len(run) if run.isascii() else utf16_len(run.decode("utf-8"))
            i = end
            continue
        begin = i
        if _byte(data, i + 1) != _SLASH:
            tag, argument, i = _parse_start_tag(data, begin)
            stack.append((tag, argument, utf16, len(out)))
        else:
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {begin}")
            if simple_end := _PLAIN_END_TAG.match(data, begin):
                end_tag, i = simple_end.group(1).lower().decode("ascii"), simple_end.end() - 1
            else:
                i += 2
                while _byte(data, i) not in _SPACES and _byte(data, i) != _GT:
                    i += 1
                end_tag = data[begin + 2 : i].lower().decode("utf-8", "replace")
                while _byte(data, i) != 0 and _byte(data, i) in _SPACES:
                    i += 1
                if _byte(data, i) != _GT:
                    raise HtmlParseError(f"Unclosed end tag at byte offset {begin}")
            tag, argument, offset, start = stack.pop()
            if end_tag and end_tag != tag:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                    f'found "</{end_tag}>"'
                )
            if utf16 > offset:
                # Only a link without href needs its text (as the URL): decode it only then.
                inner = ""
                if tag == "a" and not argument:
                    inner = bytes(out[start:]).decode("utf-8", "surrogatepass")
                _close_tag(found, tag, argument, offset, utf16 - offset, inner)
        i += 1  # skip '>'
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    try:
        plain = out.decode("utf-8")
    except UnicodeDecodeError:
        raise HtmlParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        ) from None
    return plain, _to_bot_api_entities(found)


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


# --------------------------------------------------------------------------------------------
# Request parameters, reply markup
# --------------------------------------------------------------------------------------------


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


def _buttons(markup: JSONDict | None) -> list[list[tuple[str, str]]]:
    rows = (markup or {}).get("inline_keyboard") or []
    return [
        [(b["text"], str(b.get("callback_data") or b.get("url") or "")) for b in row]
        for row in rows
    ]


# --------------------------------------------------------------------------------------------
# Records handed to tests
# --------------------------------------------------------------------------------------------


@dataclass
class SentMessage:
    """One message the bot sent, or one edit of it (a snapshot, in order of the calls)."""

    chat_id: int
    message_id: int
    text: str | None
    plain: str
    parse_mode: str | None
    entities: list[JSONDict]
    buttons: list[list[tuple[str, str]]]
    reply_markup: JSONDict | None
    disable_notification: bool
    edited: bool = False
    deleted: bool = False
    method: str = "sendMessage"
    document: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    params: JSONDict = field(default_factory=dict)

    @property
    def callback_data(self) -> list[str]:
        """Return the callback_data of every inline button, row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or []
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@dataclass(frozen=True)
class CallbackAnswer:
    """One successful answerCallbackQuery call."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(frozen=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str
    mime_type: str

    def document(self) -> JSONDict:
        return {
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }


_CHAT_ACTIONS = _words(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note"
)
_SCOPES = _words(
    "default all_private_chats all_group_chats all_chat_administrators chat "
    "chat_administrators chat_member"
)
_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_Handler = Callable[["_Params"], Awaitable[Any]]


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


class LocalBotApi:
    """In-memory Bot API server state for one bot, answering calls like api.telegram.org."""

    def __init__(
        self,
        *,
        bot_id: int = BOT_ID,
        first_name: str = "Briefing Bot",
        username: str = "BriefingTestBot",
        latency: float = 0.0,
        rate_limit_per_second: float | None = None,
        strict_ampersand: bool = True,
        require_known_chats: bool = False,
        max_messages: int | None = None,
    ) -> None:
        self.bot_user: JSONDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.latency = latency
        self.rate_limit_per_second = rate_limit_per_second
        self.strict_ampersand = strict_ampersand
        self.require_known_chats = require_known_chats
        # Telegram keeps every message; a long benchmark would then keep hundreds of thousands
        # of dicts alive in the bot's process and time the garbage collector, not the bot.
        self.max_messages = max_messages
        self.calls: list[tuple[str, JSONDict]] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.webhook_url = ""
        self._log: list[SentMessage] = []
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._event: asyncio.Event | None = None
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self._chats: dict[int, JSONDict] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._message_order: deque[tuple[int, int]] = deque()
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._queries: dict[str, tuple[int, int]] = {}
        self._query_ids = itertools.count(4_000_000_001)
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._file_ids = itertools.count(1)
        self._blocked: dict[int, str] = {}
        self._floods: dict[str, deque[int]] = {}
        self._recent: deque[float] = deque()
        self._methods: dict[str, _Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendchataction": self._send_chat_action,
            "senddocument": self._send_document,
            "getfile": self._get_file,
            "close": self._true,
            "logout": self._true,
        }

    # ---- entry point -------------------------------------------------------------------------

    async def handle(self, method: str, params: Mapping[str, Any]) -> tuple[int, JSONDict]:
        """Execute one Bot API call; return (HTTP status, JSON body) exactly as Telegram would."""
        name = method.lower()
        self.calls.append((method, dict(params)))
        if self.latency:
            await asyncio.sleep(self.latency)
        handler = self._methods.get(name)
        if handler is None:
            return 404, dict(_NOT_FOUND)
        try:
            self._check_flood(name)
            result = await handler(_Params(params))
        except ApiError as error:
            return error.status, error.body()
        return 200, {"ok": True, "result": result}

    # ---- fault injection ---------------------------------------------------------------------

    def block_chat(
        self, chat_id: int, description: str = "Forbidden: bot was blocked by the user"
    ) -> None:
        """Answer 403 with ``description`` to every call aimed at ``chat_id``."""
        self._blocked[chat_id] = description

    def unblock_chat(self, chat_id: int) -> None:
        """Undo block_chat."""
        self._blocked.pop(chat_id, None)

    def inject_flood(
        self, method: str | None = "sendMessage", times: int = 1, retry_after: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (None: any method) with 429."""
        self._floods.setdefault((method or "*").lower(), deque()).extend([retry_after] * times)

    def _check_flood(self, name: str) -> None:
        for key in (name, "*"):
            pending = self._floods.get(key)
            if pending:
                seconds = pending.popleft()
                raise ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)
        if self.rate_limit_per_second is None or name == "getupdates":
            return
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate_limit_per_second:
            seconds = max(1, math.ceil(self._recent[0] + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", seconds)
        self._recent.append(now)

    # ---- accessors for tests -----------------------------------------------------------------

    def sent(self, chat_id: int | None = None) -> list[SentMessage]:
        """Return every message sent or edited by the bot (optionally for one chat), in order."""
        return [m for m in self._log if chat_id is None or m.chat_id == chat_id]

    def last(self, chat_id: int | None = None) -> SentMessage:
        """Return the latest message sent or edited (optionally in one chat); else LookupError."""
        messages = self.sent(chat_id)
        if not messages:
            raise LookupError(f"the bot sent nothing to chat {chat_id}")
        return messages[-1]

    def documents(self, chat_id: int | None = None) -> list[SentMessage]:
        """Return the documents the bot sent (optionally to one chat), in order."""
        return [m for m in self.sent(chat_id) if m.document is not None and not m.edited]

    def _keep(self, chat_id: int, message: JSONDict) -> None:
        """Store a message for later edits; beyond max_messages the oldest is forgotten."""
        key = (chat_id, message["message_id"])
        self._messages[key] = message
        if self.max_messages is not None:
            self._message_order.append(key)
            while len(self._messages) > self.max_messages:
                self._messages.pop(self._message_order.popleft(), None)

    def clear(self) -> None:
        """Forget recorded output (sent log, calls, answers, actions); chats and messages stay."""
        self._log.clear()
        self.calls.clear()
        self.callback_answers.clear()
        self.chat_actions.clear()

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """Return the current Telegram JSON of a message in a chat, or None."""
        stored = self._messages.get((chat_id, message_id))
        return _copy_json(stored) if stored is not None else None

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """Return the commands set for ``scope`` (default scope) and ``language_code``."""
        return list(self._commands.get(self._scope_key(scope, language_code), []))

    def pending_updates(self) -> list[JSONDict]:
        """Return queued updates not yet confirmed by getUpdates."""
        return _copy_json(self._updates)

    def file_content(self, file_path: str) -> bytes | None:
        """Return the bytes of a registered file by its getFile ``file_path``."""
        for stored in self._files.values():
            if stored.file_path == file_path:
                return stored.content
        return None

    # ---- update builders ---------------------------------------------------------------------

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue an update for getUpdates (assigning update_id if missing) and wake pollers."""
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._wake()
        return update

    def make_message(
        self,
        text: str,
        *,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "en",
        entities: list[JSONDict] | None = None,
        reply_to_message_id: int | None = None,
        push: bool = False,
    ) -> JSONDict:
        """Build a user's text-message update (bot_command entity included); queue it if push."""
        message = self._user_message(
            chat_id, user_id, chat_type, first_name, username, language_code
        )
        message["text"] = text
        if entities is None:
            command = _COMMAND.match(text)
            entities = (
                [{"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}]
                if command
                else []
            )
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            replied = self._messages.get((message["chat"]["id"], reply_to_message_id))
            if replied is None:
                raise LookupError(f"no message {reply_to_message_id} to reply to")
            message["reply_to_message"] = _copy_json(replied)
        return self._finish_update({"message": message}, push)

    def make_document_message(
        self,
        content: bytes,
        file_name: str = "import.json",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        user_id: int = DEFAULT_USER_ID,
        chat_type: str = "private",
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "en",
        push: bool = False,
    ) -> JSONDict:
        """Build a user's document-message update whose file getFile/download will serve."""
        message = self._user_message(
            chat_id, user_id, chat_type, first_name, username, language_code
        )
        message["document"] = self._register_file(content, file_name, mime_type)
        if caption:
            message["caption"] = caption
        return self._finish_update({"message": message}, push)

    def make_callback(
        self,
        message_id: int,
        data: str,
        *,
        chat_id: int,
        user_id: int | None = None,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "en",
        check_button: bool = True,
        push: bool = False,
    ) -> JSONDict:
        """Build the update for pressing an inline button of a bot message; registers the query."""
        message = self._messages.get((chat_id, message_id))
        if message is None or message["from"]["id"] != self.bot_user["id"]:
            raise LookupError(f"the bot has no message {message_id} in chat {chat_id}")
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        offered = [b.get("callback_data") for row in rows for b in row]
        if check_button and data not in offered:
            raise LookupError(f"message {message_id} has no button with callback_data {data!r}")
        if user_id is None:
            user_id = chat_id if chat_id > 0 else DEFAULT_USER_ID
        query_id = str(next(self._query_ids))
        self._queries[query_id] = (chat_id, message_id)
        query = {
            "id": query_id,
            "from": self._user(user_id, first_name, username, language_code),
            "message": _copy_json(message),
            "chat_instance": str(abs(chat_id) * 7919 % 10**12),
            "data": data,
        }
        return self._finish_update({"callback_query": query}, push)

    def expire_callback_queries(self) -> None:
        """Make every pending callback query too old to answer."""
        self._queries.clear()

    # ---- internals: chats, users, messages, files --------------------------------------------

    def _finish_update(self, body: JSONDict, push: bool) -> JSONDict:
        update = {"update_id": next(self._update_ids), **body}
        return self.push_update(update) if push else update

    def _user(
        self, user_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _user_message(
        self,
        chat_id: int | None,
        user_id: int,
        chat_type: str,
        first_name: str,
        username: str | None,
        language_code: str | None,
    ) -> JSONDict:
        if chat_type not in ("private", "group", "supergroup"):
            raise ValueError(f"unsupported chat_type {chat_type!r}")
        if chat_id is None:
            chat_id = {"private": user_id, "group": -200300, "supergroup": -1001002003004}[
                chat_type
            ]
        chat: JSONDict = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
            if username:
                chat["username"] = username
        else:
            chat["title"] = "Test group"
        self._chats[chat_id] = chat
        message = self._new_message(
            chat_id, self._user(user_id, first_name, username, language_code)
        )
        self._keep(chat_id, message)
        return message

    def _new_message(self, chat_id: int, sender: JSONDict) -> JSONDict:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return {
            "message_id": next(counter),
            "from": sender,
            "chat": _copy_json(self._chat_dict(chat_id)),
            "date": int(time.time()),
        }

    def _chat_dict(self, chat_id: int) -> JSONDict:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "User"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": "Chat"}

    def _register_file(self, content: bytes, file_name: str, mime_type: str | None) -> JSONDict:
        number = next(self._file_ids)
        extension = file_name.rpartition(".")[2] if "." in file_name else "bin"
        stored = _StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:06d}LocalFile",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"documents/file_{number}.{extension}",
            content=content,
            file_name=file_name,
            mime_type=mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream",
        )
        self._files[stored.file_id] = stored
        return stored.document()

    def _wake(self) -> None:
        if self._event is not None:
            self._event.set()

    def _update_event(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._event is None or self._event_loop is not loop:
            self._event, self._event_loop = asyncio.Event(), loop
        return self._event

    def _chat(self, p: _Params) -> int:
        """Resolve chat_id like Telegram (403 when blocked, 400 when unknown)."""
        raw = p.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            names = {str(c.get("username", "")).lower(): i for i, c in self._chats.items()}
            if raw[1:].lower() not in names:
                raise _bad("chat not found")
            chat_id = names[raw[1:].lower()]
        else:
            try:
                chat_id = int(raw)
            except (TypeError, ValueError):
                raise _bad("chat not found") from None
        if self.require_known_chats and chat_id not in self._chats:
            raise _bad("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, self._blocked[chat_id])
        return chat_id

    def _format(self, p: _Params, text: str | None, *, caption: bool) -> tuple[str, list[JSONDict]]:
        """Parse text/caption with parse_mode or entities and apply Telegram's length limits."""
        prefix = "caption_" if caption else ""
        if not text:
            if caption:
                return "", []
            raise _bad("message text is empty")
        mode = (p.text("parse_mode") or "").strip()
        entities = p.obj(f"{prefix}entities", "can't parse entities JSON object")
        if entities is not None:
            if not isinstance(entities, list) or not all(_valid_entity(e) for e in entities):
                raise _bad("can't parse entities JSON object")
            plain = text
        elif mode.lower() == "html":
            try:
                plain, parsed = _parsed_html(text, self.strict_ampersand, caption)
            except HtmlParseError as error:
                raise _bad(f"can't parse entities: {error}") from None
            return plain, _copy_json(parsed)
        elif mode.lower() in ("markdown", "markdownv2"):
            raise _bad(f"can't parse entities: LocalBotApi implements only HTML, not {mode}")
        elif mode:
            raise _bad("unsupported parse_mode")
        else:
            plain, entities = text, []
        return _checked_text(plain, entities, caption=caption)

    def _record(
        self,
        message: JSONDict,
        p: _Params,
        method: str,
        raw_text: str | None,
        *,
        edited: bool,
        parse_mode: str | None = None,
    ) -> None:
        markup = message.get("reply_markup")
        document = message.get("document")
        stored = self._files.get(document["file_id"]) if document else None
        self._log.append(
            SentMessage(
                chat_id=message["chat"]["id"],
                message_id=message["message_id"],
                text=raw_text,
                plain=str(message.get("text", message.get("caption", ""))),
                parse_mode=parse_mode or p.text("parse_mode") or None,
                entities=_copy_json(
                    message.get("entities") or message.get("caption_entities") or []
                ),
                buttons=_buttons(markup),
                reply_markup=_copy_json(markup),
                disable_notification=p.flag("disable_notification"),
                edited=edited,
                method=method,
                document=stored.content if stored else None,
                filename=document.get("file_name") if document else None,
                mime_type=document.get("mime_type") if document else None,
                params={k: v for k, v in p.raw.items() if not isinstance(v, UploadedFile)},
            )
        )

    def _bot_message(self, p: _Params, chat_id: int, markup: JSONDict | None) -> JSONDict:
        reply_to = p.number("reply_to_message_id")
        lenient = p.flag("allow_sending_without_reply")
        parameters = p.obj("reply_parameters", "can't parse reply parameters JSON object")
        if isinstance(parameters, dict):
            reply_to = parameters.get("message_id", reply_to)
            lenient = lenient or bool(parameters.get("allow_sending_without_reply"))
        replied = self._messages.get((chat_id, int(reply_to))) if reply_to is not None else None
        if replied is None and reply_to is not None and not lenient:
            raise _bad("message to be replied not found")
        sender = {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
        message = self._new_message(chat_id, sender)
        if replied is not None:
            message["reply_to_message"] = _copy_json(replied)
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _editable(self, p: _Params) -> JSONDict:
        if p.get("inline_message_id") is not None:
            raise _bad("message to edit not found")
        chat_id = self._chat(p)
        message_id = p.number("message_id", "message identifier is not specified")
        if message_id is None:
            raise _bad("message identifier is not specified")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise _bad("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise _bad("message can't be edited")
        return message

    def _pending(self, limit: int) -> list[JSONDict]:
        allowed = set(self._allowed_updates)
        kept = []
        for update in self._updates:
            kind = next((k for k in update if k != "update_id"), "")
            if (kind in allowed) if allowed else (kind not in _NOT_DEFAULT_UPDATES):
                kept.append(update)
        self._updates = kept
        return _copy_json(kept[:limit])

    @staticmethod
    def _scope_key(scope: Any, language_code: str) -> tuple[str, str]:
        scope = scope or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise _bad("can't parse BotCommandScope: unsupported type")
        return json.dumps(scope, sort_keys=True), language_code

    # ---- methods -----------------------------------------------------------------------------

    async def _true(self, p: _Params) -> bool:
        return True

    async def _get_me(self, p: _Params) -> JSONDict:
        return dict(self.bot_user)

    async def _get_updates(self, p: _Params) -> list[JSONDict]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = p.number("offset")
        limit = min(max(p.number("limit") or 100, 1), 100)
        timeout = max(p.real("timeout"), 0.0)
        allowed = p.obj("allowed_updates", "can't parse allowed updates JSON object")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        if offset is not None and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset is not None and offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()  # an older long poll is terminated by this one, like on Telegram
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = self._pending(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0:
                return batch
            event = self._update_event()
            event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            if self._poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )

    async def _set_webhook(self, p: _Params) -> bool:
        url = (p.text("url") or "").strip()
        if url:
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname:
                raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
            if parts.port not in (None, 80, 88, 443, 8443):
                raise _bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        self.webhook_url = url
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _delete_webhook(self, p: _Params) -> bool:
        self.webhook_url = ""
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, p: _Params) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        return info

    def _sent(
        self, chat_id: int, message: JSONDict, p: _Params, method: str, raw: str | None
    ) -> JSONDict:
        """Keep a message the bot just sent, log it, and answer with a copy."""
        self._keep(chat_id, message)
        self._record(message, p, method, raw, edited=False)
        return _copy_json(message)

    async def _send_message(self, p: _Params) -> JSONDict:
        chat_id = self._chat(p)
        raw = p.text("text")
        plain, entities = self._format(p, raw, caption=False)
        markup = _parse_markup(p.get("reply_markup"))
        message = self._bot_message(p, chat_id, markup)
        message["text"] = plain
        if entities:
            message["entities"] = entities
        return self._sent(chat_id, message, p, "sendMessage", raw)

    async def _edit_message_text(self, p: _Params) -> JSONDict:
        message = self._editable(p)
        if "text" not in message:
            raise _bad("there is no text in the message to edit")
        raw = p.text("text")
        plain, entities = self._format(p, raw, caption=False)
        markup = _parse_markup(p.get("reply_markup"), inline_only=True)
        if (plain, entities, markup) == (
            message["text"],
            message.get("entities", []),
            message.get("reply_markup"),
        ):
            raise _bad(NOT_MODIFIED)
        message["text"] = plain
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        self._apply_edit(message, markup)
        self._record(message, p, "editMessageText", raw, edited=True)
        return _copy_json(message)

    async def _edit_message_reply_markup(self, p: _Params) -> JSONDict:
        message = self._editable(p)
        markup = _parse_markup(p.get("reply_markup"), inline_only=True)
        if markup == message.get("reply_markup"):
            raise _bad(NOT_MODIFIED)
        self._apply_edit(message, markup)
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        before = [m for m in self.sent(chat_id) if m.message_id == message_id]
        raw, mode = (before[-1].text, before[-1].parse_mode) if before else (None, None)
        self._record(message, p, "editMessageReplyMarkup", raw, edited=True, parse_mode=mode)
        return _copy_json(message)

    def _apply_edit(self, message: JSONDict, markup: JSONDict | None) -> None:
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())

    async def _delete_message(self, p: _Params) -> bool:
        chat_id = self._chat(p)
        message_id = p.number("message_id", "message identifier is not specified")
        if message_id is None:
            raise _bad("message identifier is not specified")
        if self._messages.pop((chat_id, message_id), None) is None:
            raise _bad("message to delete not found")
        for record in self._log:
            if (record.chat_id, record.message_id) == (chat_id, message_id):
                record.deleted = True
        return True

    async def _answer_callback_query(self, p: _Params) -> bool:
        query_id = p.text("callback_query_id") or ""
        text = p.text("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        if self._queries.pop(query_id, None) is None:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        answer = CallbackAnswer(
            query_id, text, p.flag("show_alert"), p.text("url"), p.number("cache_time")
        )
        self.callback_answers.append(answer)
        return True

    async def _set_my_commands(self, p: _Params) -> bool:
        commands = p.obj("commands", "can't parse commands JSON object") or []
        if not isinstance(commands, list):
            raise _bad('field "commands" must be an Array')
        if len(commands) > MAX_COMMANDS:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand: BotCommand must be an Object")
            for name in ("command", "description"):
                if not isinstance(command.get(name), str):
                    raise _bad(f"can't parse BotCommand: Can't find field \"{name}\"")
            if not _COMMAND_NAME.fullmatch(command["command"]):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"].strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._scope_key(
            p.obj("scope", "can't parse BotCommandScope JSON object"), p.text("language_code") or ""
        )
        cleaned = [{"command": c["command"], "description": c["description"]} for c in commands]
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, p: _Params) -> list[JSONDict]:
        key = self._scope_key(
            p.obj("scope", "can't parse BotCommandScope JSON object"), p.text("language_code") or ""
        )
        return _copy_json(self._commands.get(key, []))

    async def _delete_my_commands(self, p: _Params) -> bool:
        key = self._scope_key(
            p.obj("scope", "can't parse BotCommandScope JSON object"), p.text("language_code") or ""
        )
        self._commands.pop(key, None)
        return True

    async def _send_chat_action(self, p: _Params) -> bool:
        chat_id = self._chat(p)
        action = p.text("action") or ""
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self.chat_actions.append((chat_id, action))
        return True

    async def _send_document(self, p: _Params) -> JSONDict:
        chat_id = self._chat(p)
        source = p.get("document")
        if isinstance(source, UploadedFile):
            if not source.content:
                raise _bad("file must be non-empty")
            if len(source.content) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            document = self._register_file(source.content, source.filename, source.mime_type)
        elif isinstance(source, str) and source in self._files:
            document = self._files[source].document()
        elif isinstance(source, str) and source.startswith(("http://", "https://")):
            document = self._register_file(b"", source.rpartition("/")[2] or "file", None)
        elif source is None or source == "":
            raise _bad("there is no document in the request")
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        raw = p.text("caption")
        caption, entities = self._format(p, raw, caption=True)
        markup = _parse_markup(p.get("reply_markup"))
        message = self._bot_message(p, chat_id, markup)
        message["document"] = document
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        return self._sent(chat_id, message, p, "sendDocument", raw)

    async def _get_file(self, p: _Params) -> JSONDict:
        stored = self._files.get(p.text("file_id") or "")
        if stored is None:
            raise _bad("invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_BYTES:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }


# --------------------------------------------------------------------------------------------
# python-telegram-bot transport
# --------------------------------------------------------------------------------------------


def _read_upload(part: tuple[str, Any, str]) -> UploadedFile:
    filename, content, mime_type = part
    data = content if isinstance(content, bytes) else content.read()
    return UploadedFile(filename, bytes(data), mime_type)


class LocalRequest(BaseRequest):
    """PTB transport that routes Bot API calls and file downloads straight into a LocalBotApi."""

    def __init__(self, api: LocalBotApi, *, read_timeout: float | None = 5.0) -> None:
        self.api = api
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """Return the default read timeout (only used by PTB to size long polls)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to set up: there is no connection."""

    async def shutdown(self) -> None:
        """Nothing to tear down: there is no connection."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one PTB request: a Bot API method call or a GET of a /file/bot... URL."""
        path = urlsplit(url).path
        if "/file/bot" in path:
            file_path = unquote(path.split("/file/bot", 1)[1].partition("/")[2])
            content = self.api.file_content(file_path)
            if content is None:
                return 404, json.dumps(_NOT_FOUND).encode()
            return 200, content
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                params[name] = _read_upload(part)
        status, body = await self.api.handle(path.rsplit("/", 1)[-1], params)
        return status, json.dumps(body).encode()
