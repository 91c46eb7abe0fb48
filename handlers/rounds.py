"""/rounds: the timeline of rounds of talks."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.i18n import N_, _
from handlers.charts import rounds_chart_button, rounds_chart_cmd
from handlers.common import (
    answer_empty_page,
    command_args,
    page_number,
    page_offset,
    reply,
    send_page,
)
from kinds.base import FactKind
from kinds.round import list_rounds, round_block
from render.blocks import refs_of

PAGE_SIZE = 4

USAGE = N_(
    "Usage: <code>/rounds</code> (newest first), <code>/rounds PAGE</code> or "
    "<code>/rounds chart</code> (a timeline), e.g. <code>/rounds 2</code>"
)


async def rounds_cmd(update: Update, context: BotContext) -> None:
    """List rounds of talks, newest first; `/rounds chart` draws them on a timeline."""
    args = command_args(update)
    if args.lower() == "chart":
        await rounds_chart_cmd(update, context)
        return
    page = page_number(args, page_size=PAGE_SIZE)
    if page is None:
        await reply(update, _(USAGE))
        return
    await show_rounds(update, context, offset=(page - 1) * PAGE_SIZE, page=page)


async def rounds_page_btn(update: Update, context: BotContext) -> None:
    """Turn the page of a /rounds answer."""
    _fields, offset = page_offset(update)
    await show_rounds(update, context, offset=offset)


async def show_rounds(
    update: Update, context: BotContext, *, offset: int, page: int | None = None
) -> None:
    """One page of the rounds timeline; `page` is the number a reader typed, if any."""
    async with context.session() as session:
        result = await list_rounds(session, limit=PAGE_SIZE, offset=offset)
    if not result.items:
        empty = _("No rounds of talks on file yet.")
        await answer_empty_page(
            update, context, offset=offset, page=page, empty=empty, command="rounds"
        )
        return
    await send_page(
        update,
        header=_("🗓 <b>Rounds of talks</b> (newest first)"),
        blocks=[round_block(r) for r in result.items],
        refs=refs_of(FactKind.ROUND, result.items),
        settings=context.settings,
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=result.has_more,
        callback="rounds",
        extra=[rounds_chart_button()],
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /rounds and its page buttons."""
    app.add_handler(CommandHandler("rounds", rounds_cmd))
    app.add_handler(CallbackQueryHandler(rounds_page_btn, pattern=r"^rounds:"))
