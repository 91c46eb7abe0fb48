"""A strict stand-in for the Telegram Bot API, for the console and the tests (not shipped).

The HTTP front is ``fake_telegram.server.FakeTelegramServer`` (it imports aiohttp's server, so it is
not imported here).
"""

from fake_telegram.api import LocalBotApi
from fake_telegram.common import (
    BOT_ID,
    DEFAULT_USER_ID,
    FAKE_TOKEN,
    NOT_MODIFIED,
    ApiError,
    utf16_len,
)
from fake_telegram.entities import HtmlParseError, telegram_html_to_plain
from fake_telegram.params import UploadedFile
from fake_telegram.records import CallbackAnswer, InlineAnswer, SentMessage
from fake_telegram.request import LocalRequest

__all__ = [
    "BOT_ID",
    "DEFAULT_USER_ID",
    "FAKE_TOKEN",
    "NOT_MODIFIED",
    "ApiError",
    "CallbackAnswer",
    "HtmlParseError",
    "InlineAnswer",
    "LocalBotApi",
    "LocalRequest",
    "SentMessage",
    "UploadedFile",
    "telegram_html_to_plain",
    "utf16_len",
]
