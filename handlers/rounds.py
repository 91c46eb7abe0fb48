"""/rounds: the timeline of rounds of talks."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.i18n import _
from handlers.charts import rounds_chart_button, rounds_chart_cmd
from handlers.common import command_args, page_offset, reply, send_page
from kinds.base import FactKind
from kinds.round import list_rounds, round_block
from render.blocks import refs_of

PAGE_SIZE = 4


async def rounds_cmd(update: Update, context: BotContext) -> None:
    """List rounds of talks, newest first; `/rounds chart` draws them on a timeline."""
    if command_args(update).lower() == "chart":
        await rounds_chart_cmd(update, context)
        return
    await show_rounds(update, context, offset=0)


async def rounds_page_btn(update: Update, context: BotContext) -> None:
    """Turn the page of a /rounds answer."""
    _fields, offset = page_offset(update)
    await show_rounds(update, context, offset=offset)


async def show_rounds(update: Update, context: BotContext, *, offset: int) -> None:
    """One page of the rounds timeline."""
    async with context.session() as session:
        page = await list_rounds(session, limit=PAGE_SIZE, offset=offset)
    if not page.items:
        await reply(update, _("No rounds of talks on file yet."))
        return
    await send_page(
        update,
        header=_("🗓 <b>Rounds of talks</b> (newest first)"),
        blocks=[round_block(r) for r in page.items],
        refs=refs_of(FactKind.ROUND, page.items),
        settings=context.settings,
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=page.has_more,
        callback="rounds",
        extra=[rounds_chart_button()],
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /rounds and its page buttons."""
    app.add_handler(CommandHandler("rounds", rounds_cmd))
    app.add_handler(CallbackQueryHandler(rounds_page_btn, pattern=r"^rounds:"))
