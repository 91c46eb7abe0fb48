"""Bot API methods about the bot itself: updates, webhook, commands, descriptions, files."""

from __future__ import annotations

import asyncio
import contextlib
import re
from urllib.parse import urlsplit

from fake_telegram.common import (
    MAX_COMMANDS,
    MAX_DOWNLOAD_BYTES,
    ApiError,
    JSONDict,
    _bad,
    _copy_json,
)
from fake_telegram.params import Handler, _Params
from fake_telegram.state import ApiState

_NOT_DEFAULT_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
# Field name and Telegram's length limit of the two texts set by setMyDescription and
# setMyShortDescription.
_DESCRIPTIONS = {"description": 512, "short_description": 120}


class BotMethods(ApiState):
    """getMe, getUpdates, webhooks, commands, descriptions, getFile."""

    def _bot_methods(self) -> dict[str, Handler]:
        """Map lower-cased method names to the handlers in this class."""
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "setmydescription": self._set_my_description,
            "getmydescription": self._get_my_description,
            "setmyshortdescription": self._set_my_short_description,
            "getmyshortdescription": self._get_my_short_description,
            "getfile": self._get_file,
            "close": self._true,
            "logout": self._true,
        }

    def _pending(self, limit: int) -> list[JSONDict]:
        allowed = set(self._allowed_updates)
        kept = []
        for update in self._updates:
            kind = next((k for k in update if k != "update_id"), "")
            if (kind in allowed) if allowed else (kind not in _NOT_DEFAULT_UPDATES):
                kept.append(update)
        self._updates = kept
        return _copy_json(kept[:limit])

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
            p.obj("scope", "can't parse BotCommandScope JSON object"), self._language(p)
        )
        cleaned = [{"command": c["command"], "description": c["description"]} for c in commands]
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, p: _Params) -> list[JSONDict]:
        key = self._scope_key(
            p.obj("scope", "can't parse BotCommandScope JSON object"), self._language(p)
        )
        return _copy_json(self._commands.get(key, []))

    async def _delete_my_commands(self, p: _Params) -> bool:
        key = self._scope_key(
            p.obj("scope", "can't parse BotCommandScope JSON object"), self._language(p)
        )
        self._commands.pop(key, None)
        return True

    def _set_text(self, p: _Params, field: str) -> bool:
        text = p.text(field) or ""
        if len(text) > _DESCRIPTIONS[field]:
            raise _bad(f"{field.replace('_', ' ')} is too long")
        key = (field, self._language(p))
        if text:
            self._descriptions[key] = text
        else:
            self._descriptions.pop(key, None)
        return True

    def _get_text(self, p: _Params, field: str) -> JSONDict:
        language = self._language(p)
        text = self._descriptions.get((field, language)) or self._descriptions.get((field, ""))
        return {field: text or ""}

    async def _set_my_description(self, p: _Params) -> bool:
        return self._set_text(p, "description")

    async def _get_my_description(self, p: _Params) -> JSONDict:
        return self._get_text(p, "description")

    async def _set_my_short_description(self, p: _Params) -> bool:
        return self._set_text(p, "short_description")

    async def _get_my_short_description(self, p: _Params) -> JSONDict:
        return self._get_text(p, "short_description")

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
