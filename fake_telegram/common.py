"""What every part of the fake shares: limits, the error answer, JSON copying, UTF-16 length."""

from __future__ import annotations

from typing import Any, TypeVar, cast

JSONDict = dict[str, Any]

FAKE_TOKEN = "123456:TEST-TOKEN-NOT-REAL"
BOT_ID = 1000001
DEFAULT_USER_ID = 200001
MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_INLINE_RESULTS = 50
MAX_NEXT_OFFSET_BYTES = 64
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
