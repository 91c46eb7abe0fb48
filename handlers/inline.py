"""Inline mode: `@bot 1000 exchange` in any chat offers fact cards to share, with their sources.

A query that is a fact id (`U12`, what a Share button types) offers that fact; an empty query
offers the newest facts; other words search every fact. Answers page with next_offset, are the
same for everyone (is_personal off, so Telegram may cache them too), and are kept per query in
a small in-process cache.
"""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import Application, InlineQueryHandler

from core.cache import TTLCache
from core.context import BotContext
from core.i18n import _, current_language
from handlers.common import small_int
from handlers.search import search_key
from kinds.audit import parse_fact_ref
from kinds.queries import facts_by_ref, latest_facts, search_facts
from render.cards import Card, fact_card

PAGE_SIZE = 20  # Telegram takes at most 50 results per answer
MAX_OFFSET = 1000  # deeper pages are not offered: nobody scrolls that far in an inline list
CACHE_SECONDS = 60  # Telegram's cache of an answer, and ours
CACHE_SIZE = 256
CACHE_KEY = "inline_cache"

Answer = tuple[list[Card], str]  # the cards and the next offset ("" for the last page)


def _cache(context: BotContext) -> TTLCache[tuple[str, str, int], Answer]:
    cache = context.bot_data.extra.get(CACHE_KEY)
    if cache is None:
        cache = context.bot_data.extra[CACHE_KEY] = TTLCache(size=CACHE_SIZE, ttl=CACHE_SECONDS)
    return cache


def open_url(bot_username: str, ref: str) -> str:
    """The deep link that opens a fact in a private chat with the bot (`/start U12`)."""
    return f"https://t.me/{bot_username}?start={ref}"


async def _cards(context: BotContext, words: str, offset: int) -> Answer:
    """The cards for a query from `offset`, and the offset of the next page."""
    ref = parse_fact_ref(words) if " " not in words else None
    async with context.session() as session:
        if ref is not None:
            found = await facts_by_ref(session, refs=[ref])
            view = found.get(ref)
            return ([fact_card(ref[0], view)] if view is not None and offset == 0 else []), ""
        key = search_key(words)
        if key:
            page = await search_facts(session, query=key, limit=PAGE_SIZE, offset=offset)
        else:
            page = await latest_facts(session, limit=PAGE_SIZE, offset=offset)
    cards = [fact_card(kind, view) for kind, view in page.items]
    following = offset + len(page.items)
    more = page.has_more and following <= MAX_OFFSET
    return cards, str(following) if more else ""


def _result(card: Card, bot_username: str) -> InlineQueryResultArticle:
    button = InlineKeyboardButton(_("Open in bot"), url=open_url(bot_username, card.ref))
    return InlineQueryResultArticle(
        id=card.ref,
        title=card.title,
        description=card.description or None,
        input_message_content=InputTextMessageContent(
            card.html,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def inline_query(update: Update, context: BotContext) -> None:
    """Answer `@bot WORDS` with fact cards, a page at a time."""
    query = update.inline_query
    assert query is not None
    words = " ".join(query.query.split())[:200]
    offset = small_int(query.offset, high=MAX_OFFSET) if query.offset else 0
    if offset is None:  # not an offset we gave: start over
        offset = 0
    cache = _cache(context)
    key = (current_language(), words.casefold(), offset)
    answer = cache.get(key)
    if answer is None:
        answer = await _cards(context, words, offset)
        cache.put(key, answer)
    cards, next_offset = answer
    username = context.bot.username
    await query.answer(
        [_result(card, username) for card in cards],
        cache_time=CACHE_SECONDS,
        is_personal=False,
        next_offset=next_offset,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire inline queries."""
    app.add_handler(InlineQueryHandler(inline_query))
