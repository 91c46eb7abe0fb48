"""What Telegram shows before a chat starts, in each language: command menus and descriptions."""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import TelegramError

from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, _, using_language
from handlers.admin import set_editor_menus
from handlers.command_menu import menu_commands

log = logging.getLogger(__name__)

# setMyDescription (at most 512 characters): the empty chat's "What can this bot do?".
DESCRIPTION = N_(
    "Dated, sourced facts on the 2025 Russia–Ukraine peace talks: the latest updates, where "
    "each side stands, prisoner exchanges, rounds of talks and documents, and a morning "
    "briefing at your time. Retracted facts are never shown."
)
# setMyShortDescription (at most 120 characters): the bot's profile and shared links.
SHORT_DESCRIPTION = N_("Dated, sourced facts on the 2025 Russia–Ukraine peace talks.")


def menu_languages() -> list[tuple[str, str]]:
    """(language, Telegram language_code) pairs; English is the default for every other code."""
    return [(language, "" if language == DEFAULT_LANGUAGE else language) for language in LANGUAGES]


async def set_menus(bot: Any, admin_ids: frozenset[int]) -> None:
    """Set the command menu, description and short description per language, then editors'."""
    for language, code in menu_languages():
        with using_language(language):
            try:
                await bot.set_my_commands(menu_commands(), language_code=code or None)
                await bot.set_my_description(_(DESCRIPTION), language_code=code or None)
                await bot.set_my_short_description(_(SHORT_DESCRIPTION), language_code=code or None)
            except TelegramError as exc:
                log.warning("Could not set the %s menu and descriptions: %s", language, exc)
            await set_editor_menus(bot, admin_ids, language_code=code or None)
