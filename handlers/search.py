"""/search <words>: full-text search over every fact."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.i18n import N_, _
from handlers.common import (
    TOO_LONG_REPLY,
    command_args,
    page_offset,
    reply,
    send_page,
    too_long,
)
from handlers.show import send_fact
from kinds.audit import parse_fact_ref
from kinds.queries import search_with_fallback
from render.blocks import esc, search_block
from store import queries

PAGE_SIZE = 5
# Callback data is capped at 64 bytes, so the words a search pages over must fit in it.
MAX_QUERY_BYTES = 48

USAGE = N_(
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
        await reply(update, _(TOO_LONG_REPLY))
        return
    ref = parse_fact_ref(args)
    if ref is not None:  # an id quoted from a list ("/search X1") means that fact
        await send_fact(update, context, *ref)
        return
    key = search_key(args)
    if not key:
        await reply(update, _("What should I look for?") + "\n" + _(USAGE))
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
        results = await search_with_fallback(session, query=key, limit=PAGE_SIZE, offset=offset)
    page = results.page
    if not page.items:
        # Quote what the user typed, not the normalized key ("<b>x</b>", not "b x b").
        asked = " ".join((typed or key).split())[:60]
        await reply(
            update,
            _("Nothing on file matches “{asked}”.\nTry fewer or other words, or /latest.").format(
                asked=esc(asked)
            ),
        )
        return
    blocks = [search_block(kind, view) for kind, view in page.items]
    if results.partial_from is not None:
        divider = (
            _("Fewer matches for all words; results with some of the words:")
            if results.all_words
            else _("No match for all the words; results with some of them:")
        )
        at = results.partial_from
        blocks[at] = f"<i>{divider}</i>\n\n{blocks[at]}"
    await send_page(
        update,
        header=_("🔎 <b>Results for “{query}”</b> (best match first)").format(query=esc(key)),
        blocks=blocks,
        refs=[(kind, view.id) for kind, view in page.items],
        settings=context.settings,
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=page.has_more,
        callback=f"search:{key}",
        labels=(N_("◀ Back"), N_("More ▶")),
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /search and its page buttons."""
    app.add_handler(CommandHandler("search", search_cmd))
    app.add_handler(CallbackQueryHandler(search_page_btn, pattern=r"^search:"))
