"""/start and /help: what the bot covers and how to ask it."""

from __future__ import annotations

from typing import NamedTuple

from telegram import BotCommand, Update
from telegram.ext import Application, CommandHandler

from core.context import BotContext
from handlers.common import reply
from kinds.registry import SPECS
from store import queries


class MenuCommand(NamedTuple):
    """A command as /help and the command menus show it."""

    name: str
    description: str
    example: str


PUBLIC_COMMANDS = (
    MenuCommand("latest", "newest updates, optionally since a date", "/latest 10 since Monday"),
    MenuCommand(
        "positions",
        "where each side stands: an overview, or by party, issue or both",
        "/positions ukraine nato",
    ),
    MenuCommand("exchanges", "prisoner exchanges and yearly totals", "/exchanges"),
    MenuCommand("rounds", "timeline of the rounds of talks", "/rounds"),
    *(
        MenuCommand(spec.list_command, spec.list_help, f"/{spec.list_command}")
        for spec in SPECS
        if spec.list_command
    ),
    MenuCommand("search", "search every fact", "/search memorandum"),
    MenuCommand("subscribe", "a briefing every morning at your time", "/subscribe 7:30 London"),
    MenuCommand("settings", "briefing time, zone and quiet mode", "/settings quiet on"),
    MenuCommand("brief", "what your next briefing would say now", "/brief"),
    MenuCommand("unsubscribe", "stop the morning briefing", "/unsubscribe"),
    MenuCommand("help", "this list", "/help"),
)


def menu_commands() -> list[BotCommand]:
    """The public command menu (setMyCommands)."""
    return [BotCommand(c.name, c.description) for c in PUBLIC_COMMANDS]


def help_text() -> str:
    """Every public command with a one-line description and an example."""
    lines = ["<b>What you can ask</b>"]
    for c in PUBLIC_COMMANDS:
        lines.append(f"/{c.name} — {c.description}\n   e.g. <code>{c.example}</code>")
    lines.append(
        "\nMore: <code>/positions history territory</code> shows how stances changed; "
        "<code>/latest since 1 June 2025</code> takes dates in plain words."
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
    await reply(
        update,
        "👋 <b>Peace talks briefing</b>\n"
        "I answer questions about the 2025 Russia–Ukraine peace talks from a curated store of "
        "facts: every fact is dated and names its source, and retracted facts are never shown.\n\n"
        + help_text(),
    )


async def help_cmd(update: Update, context: BotContext) -> None:
    """List the public commands."""
    await reply(update, help_text())


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /start and /help."""
    app.add_handler(CommandHandler("start", start_cmd))
    app.add_handler(CommandHandler("help", help_cmd))
