"""The commands /help and the command menus list: readers' here, editors' in handlers/admin.py."""

from __future__ import annotations

import difflib
from typing import NamedTuple

from telegram import BotCommand

from core.i18n import N_, _
from kinds.registry import SPECS


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


# Commands readers naturally try that are not ours, and the public command each means.
_READERS_WORDS = {
    "news": "latest",
    "new": "latest",
    "today": "latest",
    "update": "latest",
    "updates": "latest",
    "stances": "positions",
    "swaps": "exchanges",
    "prisoners": "exchanges",
    "talks": "rounds",
    "timeline": "rounds",
    "docs": "documents",
    "find": "search",
    "stop": "unsubscribe",
    "lang": "language",
    "about": "help",
    "commands": "help",
}


def meant_command(command: str) -> str | None:
    """The public command a reader most likely meant by one that is not (/news, /exchange)."""
    name = command.lower()
    names = [c.name for c in PUBLIC_COMMANDS]
    if name in names:
        return None
    if name in _READERS_WORDS:
        return _READERS_WORDS[name]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.8)  # /exchange, /lates
    return close[0] if close else None
