"""/start and /help: what the bot covers and how to ask it."""

from __future__ import annotations

from typing import NamedTuple

from telegram import BotCommand, Update
from telegram.ext import Application, CommandHandler

from core.context import BotContext
from core.i18n import N_, _
from handlers.common import command_args, reply
from handlers.show import send_fact
from kinds.audit import parse_fact_ref
from kinds.registry import SPECS
from store import queries


class MenuCommand(NamedTuple):
    """A command as /help and the command menus show it."""

    name: str
    description: str
    example: str  # translated where its words are (dates, cities), else the same in every language


PUBLIC_COMMANDS = (
    MenuCommand(
        "latest", N_("newest updates, optionally since a date"), N_("/latest 10 since Monday")
    ),
    MenuCommand(
        "positions",
        N_("where each side stands: an overview, or by party, issue or both"),
        "/positions ukraine nato",
    ),
    MenuCommand("exchanges", N_("prisoner exchanges, yearly totals, a chart"), "/exchanges chart"),
    MenuCommand("rounds", N_("timeline of the rounds of talks, also as a chart"), "/rounds chart"),
    *(
        MenuCommand(spec.list_command, spec.list_help, f"/{spec.list_command}")
        for spec in SPECS
        if spec.list_command
    ),
    MenuCommand("search", N_("search every fact"), "/search memorandum"),
    MenuCommand("show", N_("one fact in full: every source, its corrections"), "/show U1"),
    MenuCommand(
        "subscribe", N_("a briefing every morning at your time"), N_("/subscribe 7:30 London")
    ),
    MenuCommand(
        "settings",
        N_("briefing time, zone, quiet mode, correction notices"),
        "/settings quiet on",
    ),
    MenuCommand("brief", N_("what your next briefing would say now"), "/brief"),
    MenuCommand("unsubscribe", N_("stop the morning briefing"), "/unsubscribe"),
    MenuCommand("language", N_("English, Ukrainian or Russian for this chat"), "/language uk"),
    MenuCommand("help", N_("this list"), "/help"),
)


def menu_commands() -> list[BotCommand]:
    """The public command menu (setMyCommands) in the current language."""
    return [BotCommand(c.name, _(c.description)) for c in PUBLIC_COMMANDS]


def help_text() -> str:
    """Every public command with a one-line description and an example."""
    lines = [_("<b>What you can ask</b>")]
    example = _("e.g.")
    for c in PUBLIC_COMMANDS:
        lines.append(f"/{c.name} — {_(c.description)}\n   {example} <code>{_(c.example)}</code>")
    lines.append(
        "\n"
        + _(
            "More: <code>/positions history territory</code> shows how stances changed; "
            "<code>/latest since 1 June 2025</code> takes dates in plain words."
        )
    )
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
        + help_text(),
    )


async def help_cmd(update: Update, context: BotContext) -> None:
    """List the public commands."""
    await reply(update, help_text())


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /start and /help."""
    app.add_handler(CommandHandler("start", start_cmd))
    app.add_handler(CommandHandler("help", help_cmd))
