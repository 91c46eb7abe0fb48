"""getChat and getChatMember, and the channels a test gives the bot (as admin or not)."""

from __future__ import annotations

import itertools

from fake_telegram.common import JSONDict, _bad, _copy_json
from fake_telegram.params import Handler, _Params
from fake_telegram.state import ApiState

_CHANNEL_IDS = itertools.count(1001900000001)
_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})
# What a channel administrator may do: the rights getChatMember reports for the bot.
_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_post_messages",
    "can_edit_messages",
)


class ChatMethods(ApiState):
    """getChat / getChatMember over the chats the fake knows, channels included."""

    def _chat_methods(self) -> dict[str, Handler]:
        """Map lower-cased method names to the handlers in this class."""
        return {"getchat": self._get_chat, "getchatmember": self._get_chat_member}

    def add_channel(
        self,
        username: str,
        *,
        title: str = "Test channel",
        bot_status: str = "administrator",
        can_post_messages: bool = True,
        chat_id: int | None = None,
    ) -> int:
        """Create a public channel @username with the bot as `bot_status`; returns its id.

        `bot_status` is "administrator", "member" (no rights: channels have no plain members
        who may post) or "left". An administrator without `can_post_messages` cannot post.
        """
        if bot_status not in ("administrator", "member", "left"):
            raise ValueError(f"unsupported bot_status {bot_status!r}")
        chat_id = chat_id if chat_id is not None else -next(_CHANNEL_IDS)
        self._chats[chat_id] = {
            "id": chat_id,
            "type": "channel",
            "title": title,
            "username": username.lstrip("@"),
        }
        bot = {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
        member: JSONDict = {"status": bot_status, "user": bot}
        if bot_status == "administrator":
            member.update({right: False for right in _ADMIN_RIGHTS})
            member.update(can_manage_chat=True, can_post_messages=can_post_messages)
        self._members[(chat_id, int(self.bot_user["id"]))] = member
        if bot_status != "administrator" or not can_post_messages:
            self._blocked[chat_id] = "Forbidden: need administrator rights in the channel chat"
        else:
            self._blocked.pop(chat_id, None)
        return chat_id

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Make `user_id` a creator, administrator, member… of the group `chat_id`."""
        if status not in _STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        self._chats.setdefault(chat_id, self._chat_dict(chat_id))
        member: JSONDict = {
            "status": status,
            "user": {"id": user_id, "is_bot": False, "first_name": "User"},
        }
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, False))
            member["can_manage_chat"] = True
        elif status == "kicked":
            member["until_date"] = 0
        self._members[(chat_id, user_id)] = member

    def _channel_admin(self, chat_id: int) -> bool:
        member = self._members.get((chat_id, int(self.bot_user["id"])), {})
        return member.get("status") == "administrator"

    def _known_chat(self, p: _Params) -> int:
        """The chat a getChat* call names; unknown chats are refused as Telegram does."""
        raw = p.get("chat_id")
        if isinstance(raw, str) and raw.startswith("@"):
            names = {str(c.get("username", "")).lower(): i for i, c in self._chats.items()}
            if raw[1:].lower() not in names:
                raise _bad("chat not found")
            return names[raw[1:].lower()]
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise _bad("chat not found") from None
        if chat_id not in self._chats:
            raise _bad("chat not found")
        return chat_id

    async def _get_chat(self, p: _Params) -> JSONDict:
        chat_id = self._known_chat(p)
        chat = _copy_json(self._chats[chat_id])
        # ChatFullInfo's required fields beside the Chat ones.
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    async def _get_chat_member(self, p: _Params) -> JSONDict:
        chat_id = self._known_chat(p)
        user_id = p.number("user_id", "user not found")
        if user_id is None:
            raise _bad("user not found")
        chat = self._chats[chat_id]
        if chat["type"] == "channel" and not self._channel_admin(chat_id):
            raise _bad("member list is inaccessible")
        member = self._members.get((chat_id, user_id))
        if member is None:
            user = {"id": user_id, "is_bot": False, "first_name": "User"}
            member = {"status": "left", "user": user}
        return _copy_json(member)
