"""A strict in-memory fake of the Telegram Bot API for tests, benchmarks and the local console.

``LocalBotApi`` holds what a Bot API server knows about one bot and answers every call with the
HTTP status and JSON body Telegram would send, including Telegram's error descriptions for the
mistakes that bite in production (bad HTML, over-long text, bad buttons, blocked users, flood
control).  ``LocalRequest`` (fake_telegram/request.py) plugs it into python-telegram-bot
without any network; fake_telegram/server.py serves it over HTTP.  The methods live in mixins by
concern (methods.py, bot_methods.py, chats.py, updates.py, faults.py) over the shared state in
state.py.

Deliberate deviations from api.telegram.org: a bare ``&`` that is not an HTML entity is refused
(Telegram keeps it literally; the docs say to escape it), Markdown parse modes are refused,
webhooks are recorded but never called, photos are read only as far as their PNG, JPEG, GIF or
WebP header (Telegram decodes them; one PhotoSize, the original, comes back), and photo URLs are
refused (no downloads).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from typing import Any

from fake_telegram.bot_methods import BotMethods
from fake_telegram.chats import ChatMethods
from fake_telegram.common import _NOT_FOUND, FAKE_TOKEN, ApiError, JSONDict, _copy_json
from fake_telegram.faults import Faults
from fake_telegram.methods import MessageMethods
from fake_telegram.params import Handler, UploadedFile, _Params
from fake_telegram.records import SentMessage
from fake_telegram.updates import UpdateBuilders

__all__ = ["FAKE_TOKEN", "LocalBotApi", "UploadedFile"]


class LocalBotApi(MessageMethods, BotMethods, ChatMethods, UpdateBuilders, Faults):
    """In-memory Bot API server state for one bot, answering calls like api.telegram.org."""

    @functools.cached_property
    def _methods(self) -> dict[str, Handler]:
        return {**self._message_methods(), **self._bot_methods(), **self._chat_methods()}

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

    # ---- accessors for tests -----------------------------------------------------------------

    def last(self, chat_id: int | None = None) -> SentMessage:
        """Return the latest message sent or edited (optionally in one chat); else LookupError."""
        messages = self.sent(chat_id)
        if not messages:
            raise LookupError(f"the bot sent nothing to chat {chat_id}")
        return messages[-1]

    def documents(self, chat_id: int | None = None) -> list[SentMessage]:
        """Return the documents the bot sent (optionally to one chat), in order."""
        return [m for m in self.sent(chat_id) if m.document is not None and not m.edited]

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
