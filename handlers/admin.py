"""Who is an editor: the check every admin handler and button runs, and the editors' menu."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError

from core.context import BotContext
from core.i18n import N_, _
from handlers.command_menu import MenuCommand, meant_command, menu_commands
from handlers.common import reply, sender_is_editor
from kinds.registry import reader_specs
from store.audit import Actor

log = logging.getLogger(__name__)

NOT_AN_EDITOR = N_("This command is for editors.")


ADMIN_COMMANDS = (
    *(MenuCommand(s.add_command, s.add_help, s.add_example) for s in reader_specs()),
    MenuCommand("edit", N_("correct a fact"), "/edit U12 + field: value lines"),
    MenuCommand("retract", N_("retract a fact, with a reason"), "/retract U12 wrong date"),
    MenuCommand("history", N_("audit log of a fact"), "/history U12"),
    MenuCommand("import", N_("import facts: send a JSON file with caption /import"), "/import"),
    MenuCommand("export", N_("get every fact as a JSON file"), "/export"),
    MenuCommand("broadcast", N_("breaking news to every subscriber"), "/broadcast TEXT"),
    MenuCommand("stats", N_("subscribers and the last briefing run"), "/stats"),
    MenuCommand(
        "channel", N_("post briefings to a channel I administer"), "/channel add @name 8:00"
    ),
    MenuCommand(
        "translations", N_("facts not yet translated into a language"), "/translations missing uk"
    ),
)


def actor_of(update: Update) -> Actor:
    """The editor behind an update, for the audit log."""
    user = update.effective_user
    if user is None:
        return Actor(id=None, name="unknown")
    name = user.full_name + (f" (@{user.username})" if user.username else "")
    return Actor(id=user.id, name=name)


R = TypeVar("R")


def editors_only(
    callback: Callable[[Update, BotContext], Coroutine[Any, Any, R]],
) -> Callable[[Update, BotContext], Coroutine[Any, Any, R | None]]:
    """Refuse, log and change nothing unless the sender is an editor (commands and buttons)."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: BotContext) -> R | None:
        if sender_is_editor(update, context):
            return await callback(update, context)
        user = update.effective_user
        log.warning(
            "Refused %s from non-editor user_id=%s", callback.__name__, user.id if user else "?"
        )
        if update.callback_query is not None:
            await update.callback_query.answer(_(NOT_AN_EDITOR), show_alert=True)
        else:
            await reply(update, _refusal(update))
        return None

    return guarded


def _refusal(update: Update) -> str:
    """Not for you; and the readers' command of the same name, for /exchange or /round."""
    message = update.effective_message
    words = ((message.text or message.caption or "") if message else "").split(maxsplit=1)
    command = words[0][1:].partition("@")[0] if words and words[0].startswith("/") else ""
    meant = meant_command(command) if command else None
    if meant is None:
        return _(NOT_AN_EDITOR)
    return _("This command is for editors. Did you mean /{meant}?").format(meant=meant)


def editor_menu() -> list[BotCommand]:
    """The command menu an editor sees: the public commands, then the editors' ones."""
    return menu_commands() + [BotCommand(c.name, _(c.description)) for c in ADMIN_COMMANDS]


async def set_editor_menus(
    context_bot: Any, admin_ids: frozenset[int], *, language_code: str | None = None
) -> None:
    """Show the editors' commands in each editor's private chat; everyone else sees the public."""
    for admin_id in sorted(admin_ids):
        try:
            await context_bot.set_my_commands(
                editor_menu(), scope=BotCommandScopeChat(admin_id), language_code=language_code
            )
        except TelegramError as exc:
            # An editor who never started the bot has no chat yet: Telegram says "chat not found".
            log.warning("Could not set the editor menu for %s: %s", admin_id, exc)
