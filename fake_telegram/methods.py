"""Bot API methods that send, edit and delete messages and answer queries."""

from __future__ import annotations

import time

from fake_telegram.common import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_INLINE_RESULTS,
    MAX_NEXT_OFFSET_BYTES,
    MAX_UPLOAD_BYTES,
    NOT_MODIFIED,
    ApiError,
    JSONDict,
    _bad,
    _copy_json,
    _words,
)
from fake_telegram.params import Handler, UploadedFile, _link_preview, _Params, _parse_markup
from fake_telegram.photos import checked_photo
from fake_telegram.records import CallbackAnswer, InlineAnswer
from fake_telegram.state import ApiState

_CHAT_ACTIONS = _words(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note"
)
_INLINE_RESULT_TYPES = _words(
    "article photo gif mpeg4_gif video audio voice document location venue contact game sticker"
)


class MessageMethods(ApiState):
    """sendMessage, editMessageText/ReplyMarkup, deleteMessage, sendDocument and the like."""

    def _message_methods(self) -> dict[str, Handler]:
        """Map lower-cased method names to the handlers in this class."""
        return {
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "answerinlinequery": self._answer_inline_query,
            "sendchataction": self._send_chat_action,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
        }

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
        _link_preview(p)
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
        _link_preview(p)
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
            stored = self._files[source]
            if stored.size is not None:
                raise _bad("can't use file of type Photo as Document")
            document = stored.document()
        elif isinstance(source, str) and source.startswith(("http://", "https://")):
            document = self._register_file(b"", source.rpartition("/")[2] or "file", None)
        elif source is None or source == "":
            raise _bad("there is no document in the request")
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        return self._send_captioned(p, chat_id, "document", document, "sendDocument")

    async def _send_photo(self, p: _Params) -> JSONDict:
        chat_id = self._chat(p)
        source = p.get("photo")
        if isinstance(source, UploadedFile):
            photo = self._register_photo(source.content, checked_photo(source.content))
        elif isinstance(source, str) and source in self._files:
            stored = self._files[source]
            if stored.size is None:
                raise _bad("can't use file of type Document as Photo")
            photo = stored.photo()
        elif source is None or source == "":
            raise _bad("there is no photo in the request")
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        return self._send_captioned(p, chat_id, "photo", photo, "sendPhoto")

    def _send_captioned(
        self, p: _Params, chat_id: int, kind: str, media: JSONDict | list[JSONDict], method: str
    ) -> JSONDict:
        """Send a document or photo with its optional caption and buttons."""
        raw = p.text("caption")
        caption, entities = self._format(p, raw, caption=True)
        markup = _parse_markup(p.get("reply_markup"))
        message = self._bot_message(p, chat_id, markup)
        message[kind] = media
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        return self._sent(chat_id, message, p, method, raw)

    async def _answer_inline_query(self, p: _Params) -> bool:
        query_id = p.text("inline_query_id") or ""
        results = p.obj("results", "can't parse inline query results JSON object")
        if not isinstance(results, list):
            raise _bad('field "results" must be an Array')
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            if not isinstance(result, dict):
                raise _bad("can't parse InlineQueryResult: InlineQueryResult must be an Object")
            if result.get("type") not in _INLINE_RESULT_TYPES:
                raise _bad("RESULT_TYPE_INVALID")
            result_id = result.get("id")
            if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
                raise _bad("RESULT_ID_INVALID")
            if result_id in seen:
                raise _bad("RESULT_ID_DUPLICATE")
            seen.add(result_id)
            _parse_markup(result.get("reply_markup"), inline_only=True)
            if result["type"] == "article":
                self._check_article(result)
        next_offset = p.text("next_offset")
        if next_offset is not None and len(next_offset.encode()) > MAX_NEXT_OFFSET_BYTES:
            raise _bad("NEXT_OFFSET_INVALID")
        if self._inline_queries.pop(query_id, None) is None:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        answer = InlineAnswer(
            query_id, results, p.number("cache_time"), p.flag("is_personal"), next_offset
        )
        self.inline_answers.append(answer)
        return True

    def _check_article(self, result: JSONDict) -> None:
        """An article needs a title and a message whose text parses as its parse_mode says."""
        if not isinstance(result.get("title"), str) or not result["title"].strip():
            raise _bad("ARTICLE_TITLE_EMPTY")
        content = result.get("input_message_content")
        if not isinstance(content, dict) or "message_text" not in content:
            raise _bad("can't parse InputMessageContent: message_text is required")
        text = content["message_text"]
        if not isinstance(text, str) or not text.strip():
            raise _bad("MESSAGE_EMPTY")
        self._format(_Params(content), text, caption=False)
