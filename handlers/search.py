"""/search <words>: full-text search over every fact."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from handlers.common import (
    TOO_LONG_REPLY,
    command_args,
    page_offset,
    reply,
    send_page,
    sender_is_editor,
    too_long,
)
from kinds.queries import search_facts
from render.blocks import esc, search_block, with_refs
from store import queries

PAGE_SIZE = 5
# Callback data is capped at 64 bytes, so the words a search pages over must fit in it.
MAX_QUERY_BYTES = 48

USAGE = (
    "Usage: <code>/search WORDS</code>, e.g. <code>/search prisoner exchange</code>, "
    "<code>/search memorandum</code>, <code>/search children</code>"
)


def search_key(args: str) -> str:
    """The normalized words of a query, cut to what a page button can carry."""
    kept: list[str] = []
    for term in queries.search_terms(args):
        if len(" ".join([*kept, term]).encode()) > MAX_QUERY_BYTES:
            break
        kept.append(term)
    return " ".join(kept)


async def search_cmd(update: Update, context: BotContext) -> None:
    """Search every fact for the given words."""
    args = command_args(update)
    if too_long(args):
        await reply(update, TOO_LONG_REPLY)
        return
    key = search_key(args)
    if not key:
        await reply(update, "What should I look for?\n" + USAGE)
        return
    await show_results(update, context, key=key, offset=0, typed=args)


async def search_page_btn(update: Update, context: BotContext) -> None:
    """Turn the page of a /search answer."""
    fields, offset = page_offset(update)
    await show_results(update, context, key=":".join(fields[1:]), offset=offset)


async def show_results(
    update: Update, context: BotContext, *, key: str, offset: int, typed: str | None = None
) -> None:
    """One page of search results for the normalized query `key` (`typed`: the user's words)."""
    async with context.session() as session:
        page = await search_facts(session, query=key, limit=PAGE_SIZE, offset=offset)
    if not page.items:
        # Quote what the user typed, not the normalized key ("<b>x</b>", not "b x b").
        asked = " ".join((typed or key).split())[:60]
        await reply(
            update,
            f"Nothing on file matches “{esc(asked)}”.\nTry fewer or other words, or /latest.",
        )
        return
    await send_page(
        update,
        header=f"🔎 <b>Results for “{esc(key)}”</b> (best match first)",
        blocks=with_refs(
            [search_block(kind, view) for kind, view in page.items],
            [(kind, view.id) for kind, view in page.items],
            sender_is_editor(update, context),
            context.settings,
        ),
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=page.has_more,
        callback=f"search:{key}",
        labels=("◀ Back", "More ▶"),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /search and its page buttons."""
    app.add_handler(CommandHandler("search", search_cmd))
    app.add_handler(CallbackQueryHandler(search_page_btn, pattern=r"^search:"))
