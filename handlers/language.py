"""The chat's interface language: set once per update, changed with /language."""

from __future__ import annotations

import logging
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, TypeHandler

from core.context import BotContext
from core.i18n import LANGUAGES, _, current_language, set_language, supported, using_language
from core.text import esc
from handlers.common import command_args, reply
from store.languages import chat_language, set_chat_language

log = logging.getLogger(__name__)

# The group the language is set in: before every other handler (forms run in group -1).
LANGUAGE_GROUP = -100
# A chat's chosen language is read at most this often per process (other replicas see a
# /language within this many seconds; this one at once).
CACHE_SECONDS = 60.0
_CACHE = "chat_languages"
_MAX_CACHED = 50_000

# Each language names itself (a reader who cannot read the current one still finds theirs).
NAMES = {"en": "English", "uk": "Українська", "ru": "Русский"}
# What people type after /language.
_ALIASES = {
    "en": "en",
    "english": "en",
    "англійська": "en",
    "английский": "en",
    "uk": "uk",
    "ua": "uk",
    "ukrainian": "uk",
    "українська": "uk",
    "украинский": "uk",
    "ru": "ru",
    "russian": "ru",
    "російська": "ru",
    "русский": "ru",
}
_ADMINS = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


def _cache(context: BotContext) -> dict[int, tuple[float, str | None]]:
    cache: dict[int, tuple[float, str | None]] = context.bot_data.extra.setdefault(_CACHE, {})
    return cache


async def _chosen(context: BotContext, chat_id: int) -> str | None:
    cache = _cache(context)
    now = time.monotonic()
    hit = cache.get(chat_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    try:
        async with context.session() as session:
            chosen = await chat_language(session, chat_id=chat_id)
    except Exception as exc:  # the database away: serve the sender's language, do not fail
        log.warning("Could not read chat %s's language: %s", chat_id, exc)
        return None
    if len(cache) >= _MAX_CACHED:
        cache.clear()
    cache[chat_id] = (now + CACHE_SECONDS, chosen)
    return chosen


async def set_update_language(update: object, context: BotContext) -> None:
    """Serve this update in the chat's chosen language, else in the sender's own."""
    if not isinstance(update, Update):
        return
    user = update.effective_user
    chat = update.effective_chat
    chosen = None
    if chat is not None and context.bot_data.sessions is not None:
        chosen = await _chosen(context, chat.id)
    # The handlers run in this update's task, after this one: the context variable holds.
    set_language(chosen or (user.language_code if user else None))


def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(NAMES[code], callback_data=f"lang:{code}") for code in LANGUAGES]]
    )


async def _may_change(update: Update, context: BotContext) -> bool:
    """Anyone in a private chat; in a group or channel, only its administrators."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if chat.type == ChatType.PRIVATE:
        return True
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.warning("Could not check chat %s admins for /language: %s", chat.id, exc)
        return False
    return member.status in _ADMINS


async def _choose(update: Update, context: BotContext, code: str) -> None:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    if not await _may_change(update, context):
        text = _("Only the group's admins can change its language.")
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await reply(update, text)
        return
    async with context.session() as session:
        await set_chat_language(
            session,
            chat_id=chat.id,
            chat_type=chat.type,
            language_code=user.language_code if user else None,
            language=code,
        )
    _cache(context)[chat.id] = (time.monotonic() + CACHE_SECONDS, code)
    with using_language(code):
        await reply(update, _("Language set: {language}.").format(language=NAMES[code]))


async def language_cmd(update: Update, context: BotContext) -> None:
    """`/language` shows the choice; `/language uk` sets it for this chat."""
    args = command_args(update).casefold()
    if not args:
        await reply(
            update,
            _("Language: {language}. Choose another:").format(language=NAMES[current_language()]),
            _keyboard(),
        )
        return
    code = _ALIASES.get(args)
    if code is None:
        await reply(
            update,
            _("I don't know the language “{given}”. Choose one of: {choices}.").format(
                given=esc(args[:40]), choices=", ".join(f"<code>{c}</code>" for c in LANGUAGES)
            ),
            _keyboard(),
        )
        return
    await _choose(update, context, code)


async def language_button(update: Update, context: BotContext) -> None:
    """A language button: set it for this chat."""
    data = update.callback_query.data if update.callback_query else None
    code = str(data).partition(":")[2]
    if code not in LANGUAGES:
        if update.callback_query is not None:
            await update.callback_query.answer(_("This button has expired."))
        return
    await _choose(update, context, supported(code))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire the per-update language, /language and its buttons."""
    app.add_handler(TypeHandler(Update, set_update_language), group=LANGUAGE_GROUP)
    app.add_handler(CommandHandler("language", language_cmd))
    app.add_handler(CallbackQueryHandler(language_button, pattern=r"^lang:"))
