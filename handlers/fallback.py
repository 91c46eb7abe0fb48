"""Replies to what no other handler took, and the updates ignored on purpose.

Policy (README, "What the bot ignores"): an edited message never re-runs its command, and
channel posts are not answered (the bot serves private chats and groups); a button nobody
knows is answered "This button has expired" so the client's spinner stops.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from core.context import BotContext
from core.i18n import _
from handlers.command_menu import meant_command
from handlers.common import reply, stale_button
from render.blocks import esc

# Runs before every other group, the editors' draft corrections (group -1) included.
IGNORE_GROUP = -2
IGNORED = filters.UpdateType.EDITED | filters.UpdateType.CHANNEL_POSTS


async def ignore(update: Update, context: BotContext) -> None:
    """Drop an edited message or a channel post: no handler after this one sees it."""
    raise ApplicationHandlerStop


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point an unknown command at /help (in groups, only commands meant for this bot)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    word = message.text.split(maxsplit=1)[0]
    command, _at, target = word[1:].partition("@")
    if target and target.lower() != (context.bot.username or "").lower():
        return
    if command.lower() in ("cancel", "skip"):  # the forms' commands, with no form open
        await reply(
            update, _("Nothing to {command}: no form is open.").format(command=command.lower())
        )
        return
    meant = meant_command(command)
    if meant is not None:
        text = _("I don't know /{command}. Did you mean /{meant}? /help lists everything.")
    else:
        text = _("I don't know /{command}. Send /help to see what I can do.")
    await reply(update, text.format(command=esc(command[:32]), meant=meant))


async def free_text(update: Update, context: BotContext) -> None:
    """Answer plain text in a private chat with a pointer to the commands."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    await reply(
        update,
        _(
            "I answer commands rather than chat. Try /latest, "
            "<code>/search ceasefire</code> or /help for everything I can do."
        ),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire the catch-alls; they must come after every real command."""
    app.add_handler(MessageHandler(IGNORED, ignore), group=IGNORE_GROUP)
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, free_text))
    app.add_handler(CallbackQueryHandler(stale_button))
