"""/start and /help: what the bot covers and how to ask it."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update
from telegram.ext import Application, CommandHandler

from core.context import BotContext
from core.i18n import _
from handlers.admin import ADMIN_COMMANDS
from handlers.command_menu import PUBLIC_COMMANDS, MenuCommand
from handlers.common import command_args, reply, sender_is_editor
from handlers.show import send_fact
from kinds.audit import parse_fact_ref
from store import queries


def _command_lines(commands: Sequence[MenuCommand]) -> list[str]:
    example = _("e.g.")
    return [
        f"/{c.name} — {_(c.description)}\n   {example} <code>{_(c.example)}</code>"
        for c in commands
    ]


def help_text(*, editor: bool = False) -> str:
    """Every public command with a one-line description and an example; editors' too for one."""
    lines = [_("<b>What you can ask</b>"), *_command_lines(PUBLIC_COMMANDS)]
    lines.append(
        "\n"
        + _(
            "More: <code>/positions history territory</code> shows how stances changed; "
            "<code>/latest since 1 June 2025</code> takes dates in plain words."
        )
    )
    if editor:
        lines += ["", _("<b>For editors</b>"), *_command_lines(ADMIN_COMMANDS)]
    return "\n".join(lines)


async def start_cmd(update: Update, context: BotContext) -> None:
    """Greet, say what the bot covers, and remember the chat."""
    chat = update.effective_chat
    user = update.effective_user
    if chat is not None:
        async with context.session() as session:
            await queries.record_chat(
                session,
                chat_id=chat.id,
                chat_type=chat.type,
                language_code=user.language_code if user else None,
            )
    # A deep link t.me/<bot>?start=U12 arrives as "/start U12": answer with that fact in full.
    ref = parse_fact_ref(command_args(update))
    if ref is not None:
        await send_fact(update, context, *ref)
        return
    await reply(
        update,
        _(
            "👋 <b>Peace talks briefing</b>\n"
            "I answer questions about the 2025 Russia–Ukraine peace talks from a curated store "
            "of facts: every fact is dated and names its source, and retracted facts are never "
            "shown."
        )
        + "\n\n"
        + help_text(editor=sender_is_editor(update, context)),
    )


async def help_cmd(update: Update, context: BotContext) -> None:
    """List the public commands."""
    await reply(update, help_text(editor=sender_is_editor(update, context)))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /start and /help."""
    app.add_handler(CommandHandler("start", start_cmd))
    app.add_handler(CommandHandler("help", help_cmd))
