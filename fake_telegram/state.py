"""The state a Bot API server keeps for one bot, and the helpers every method shares."""

from __future__ import annotations

import asyncio
import itertools
import json
import mimetypes
import re
import secrets
import time
from collections import deque
from typing import Any

from fake_telegram.common import BOT_ID, ApiError, JSONDict, _bad, _copy_json, _words
from fake_telegram.entities import HtmlParseError
from fake_telegram.params import UploadedFile, _buttons, _link_preview, _Params
from fake_telegram.records import CallbackAnswer, InlineAnswer, SentMessage, _StoredFile
from fake_telegram.text import _checked_text, _parsed_html, _valid_entity

_LANGUAGE = re.compile(r"[a-z]{2}")
_SCOPES = _words(
    "default all_private_chats all_group_chats all_chat_administrators chat "
    "chat_administrators chat_member"
)


class ApiState:
    """In-memory Bot API server state for one bot, and the helpers its methods share."""

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
        # File ids are this server's own, as Telegram's are each bot's: another server (a
        # restarted fake, another bot) refuses them, strictly.
        self._file_tag = secrets.token_hex(4)
        self._blocked: dict[int, str] = {}
        self._floods: dict[str, deque[int]] = {}
        self._recent: deque[float] = deque()
        self.inline_answers: list[InlineAnswer] = []
        self._inline_queries: dict[str, int] = {}
        self._descriptions: dict[tuple[str, str], str] = {}
        self._topics: dict[int, set[int]] = {}  # forum supergroups and their open topics
        self._members: dict[tuple[int, int], JSONDict] = {}  # (chat, user) -> ChatMember

    def sent(self, chat_id: int | None = None) -> list[SentMessage]:
        """Return every message sent or edited by the bot (optionally for one chat), in order."""
        return [m for m in self._log if chat_id is None or m.chat_id == chat_id]

    def _keep(self, chat_id: int, message: JSONDict) -> None:
        """Store a message for later edits; beyond max_messages the oldest is forgotten."""
        key = (chat_id, message["message_id"])
        self._messages[key] = message
        if self.max_messages is not None:
            self._message_order.append(key)
            while len(self._messages) > self.max_messages:
                self._messages.pop(self._message_order.popleft(), None)

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
            file_id=f"BQACAgIAAxkBAAI{number:06d}{self._file_tag}LocalFile",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"documents/file_{number}.{extension}",
            content=content,
            file_name=file_name,
            mime_type=mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream",
        )
        self._files[stored.file_id] = stored
        return stored.document()

    def _register_photo(self, content: bytes, size: tuple[int, int]) -> list[JSONDict]:
        number = next(self._file_ids)
        stored = _StoredFile(
            file_id=f"AgACAgIAAxkBAAI{number:06d}{self._file_tag}LocalPhoto",
            file_unique_id=f"AQAD{number:06d}",
            file_path=f"photos/file_{number}.jpg",
            content=content,
            file_name=f"file_{number}.jpg",
            mime_type="image/jpeg",
            size=size,
        )
        self._files[stored.file_id] = stored
        return stored.photo()

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
        photo = self._files.get(message["photo"][-1]["file_id"]) if "photo" in message else None
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
                photo=photo.content if photo else None,
                message_thread_id=message.get("message_thread_id"),
                link_preview=_link_preview(p),
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
        thread = p.number("message_thread_id", "message thread not found")
        if thread is not None and thread <= 0:
            raise _bad("message thread not found")
        topics = self._topics.get(chat_id)
        if thread is not None and topics is not None and thread not in topics:
            raise _bad("message thread not found")  # a forum's topic that is not (or no more)
        sender = {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
        message = self._new_message(chat_id, sender)
        if thread is not None:
            message["message_thread_id"] = thread
            if message["chat"]["type"] == "supergroup":
                message["is_topic_message"] = True
        if replied is not None:
            message["reply_to_message"] = _copy_json(replied)
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def open_topic(self, chat_id: int, thread_id: int) -> None:
        """Make `chat_id` a forum supergroup with an open topic `thread_id`."""
        if thread_id <= 0:
            raise ValueError("a topic's message_thread_id is positive")
        chat = dict(self._chat_dict(chat_id))
        if chat["type"] != "supergroup":
            raise ValueError("only supergroups have forum topics")
        chat["is_forum"] = True
        self._chats[chat_id] = chat
        self._topics.setdefault(chat_id, set()).add(thread_id)

    def close_topic(self, chat_id: int, thread_id: int) -> None:
        """Delete a forum topic: sending to it is then refused."""
        self._topics.get(chat_id, set()).discard(thread_id)

    def _editable(self, p: _Params) -> JSONDict:
        """Return the bot's own message that chat_id/message_id point at, or refuse."""
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

    @staticmethod
    def _scope_key(scope: Any, language_code: str) -> tuple[str, str]:
        scope = scope or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise _bad("can't parse BotCommandScope: unsupported type")
        return json.dumps(scope, sort_keys=True), language_code

    @staticmethod
    def _language(p: _Params) -> str:
        """Read language_code: empty (every language) or a two-letter ISO 639-1 code."""
        code = p.text("language_code") or ""
        if code and not _LANGUAGE.fullmatch(code):
            raise _bad("invalid language code specified")
        return code
