"""What the fake records for tests: sent messages, callback answers, stored files."""

from __future__ import annotations

from dataclasses import dataclass, field

from fake_telegram.common import JSONDict


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
    photo: bytes | None = None
    message_thread_id: int | None = None
    # The link_preview_options sent with it (None: Telegram's default, a preview of the first link).
    link_preview: JSONDict | None = None

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
class InlineAnswer:
    """One successful answerInlineQuery call: the query and the results as sent."""

    query_id: str
    results: list[JSONDict]
    cache_time: int | None
    is_personal: bool
    next_offset: str | None


@dataclass(frozen=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str
    mime_type: str
    # A photo's (width, height); None for a document.
    size: tuple[int, int] | None = None

    def document(self) -> JSONDict:
        return {
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }

    def photo(self) -> list[JSONDict]:
        """The PhotoSize array Telegram sends for this photo (one size: the original)."""
        width, height = self.size or (0, 0)
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": len(self.content),
                "width": width,
                "height": height,
            }
        ]
