"""Builders of user updates (messages, documents, button presses) for tests and the console."""

from __future__ import annotations

import re

from fake_telegram.common import DEFAULT_USER_ID, JSONDict, _copy_json, utf16_len
from fake_telegram.state import ApiState

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>@])")


class UpdateBuilders(ApiState):
    """Make the updates a user's actions would produce, optionally queueing them."""

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
        message_thread_id: int | None = None,
        push: bool = False,
    ) -> JSONDict:
        """Build a user's text-message update (bot_command entity included); queue it if push.

        With `message_thread_id` the message is asked in that topic of a forum supergroup.
        """
        message = self._user_message(
            chat_id, user_id, chat_type, first_name, username, language_code
        )
        if message_thread_id is not None:
            chat = message["chat"]["id"]
            self.open_topic(chat, message_thread_id)
            message["chat"] = _copy_json(self._chats[chat])
            message["message_thread_id"] = message_thread_id
            message["is_topic_message"] = True
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
            if chat_id in self._topics:
                chat["is_forum"] = True
        self._chats[chat_id] = chat
        message = self._new_message(
            chat_id, self._user(user_id, first_name, username, language_code)
        )
        self._keep(chat_id, message)
        return message

    def make_inline_query(
        self,
        query: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Test",
        username: str | None = None,
        language_code: str | None = "en",
        offset: str = "",
        push: bool = False,
    ) -> JSONDict:
        """Build the update for a user typing ``@bot query``; registers the query to answer."""
        query_id = str(next(self._query_ids))
        self._inline_queries[query_id] = user_id
        inline = {
            "id": query_id,
            "from": self._user(user_id, first_name, username, language_code),
            "query": query,
            "offset": offset,
        }
        return self._finish_update({"inline_query": inline}, push)
