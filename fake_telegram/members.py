"""getChatMember: who is an administrator of a group, as a test arranges it."""

from __future__ import annotations

from fake_telegram.common import JSONDict, _bad
from fake_telegram.params import Handler, _Params
from fake_telegram.state import ApiState

_STATUSES = frozenset({"creator", "administrator", "member", "restricted", "left", "kicked"})
# The rights PTB requires in a ChatMemberAdministrator (all off but managing the chat).
_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


class MemberMethods(ApiState):
    """getChatMember over statuses set with `set_member` (everyone else is a plain member)."""

    def _member_methods(self) -> dict[str, Handler]:
        """Map lower-cased method names to the handlers in this class."""
        return {"getchatmember": self._get_chat_member}

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Make `user_id` a creator, administrator, member… of `chat_id` for getChatMember."""
        if status not in _STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        self._members()[(chat_id, user_id)] = status

    def _members(self) -> dict[tuple[int, int], str]:
        members: dict[tuple[int, int], str] | None = getattr(self, "_member_status", None)
        if members is None:
            members = {}
            self._member_status = members
        return members

    async def _get_chat_member(self, p: _Params) -> JSONDict:
        chat_id = self._chat(p)
        try:
            user_id = int(p.get("user_id"))
        except (TypeError, ValueError):
            raise _bad("invalid user_id specified") from None
        if chat_id > 0 and chat_id != user_id:
            raise _bad("member not found")
        status = self._members().get((chat_id, user_id), "member")
        member: JSONDict = {
            "status": status,
            "user": {"id": user_id, "is_bot": False, "first_name": "User"},
        }
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(dict.fromkeys(_ADMIN_RIGHTS, False))
            member["can_manage_chat"] = True
        elif status == "restricted":
            raise _bad("restricted members are not modelled by the fake")
        elif status == "kicked":
            member["until_date"] = 0
        return member
