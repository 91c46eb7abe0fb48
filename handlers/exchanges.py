"""/exchanges: prisoner exchanges, newest first, with yearly totals per side."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.i18n import _
from handlers.charts import exchanges_chart, exchanges_chart_button
from handlers.common import command_args, page_offset, reply, send_page
from kinds.base import FactKind
from kinds.exchange_totals import exchange_totals, totals_block
from kinds.exchange_views import exchange_block, list_exchanges
from render.blocks import refs_of

PAGE_SIZE = 5


async def exchanges_cmd(update: Update, context: BotContext) -> None:
    """List prisoner exchanges, newest first; `/exchanges chart [YEAR]` draws them."""
    word, _, rest = command_args(update).partition(" ")
    if word.lower() == "chart":
        await exchanges_chart(update, context, rest.strip())
        return
    await show_exchanges(update, context, offset=0)


async def exchanges_page_btn(update: Update, context: BotContext) -> None:
    """Turn the page of an /exchanges answer."""
    _fields, offset = page_offset(update)
    await show_exchanges(update, context, offset=offset)


async def show_exchanges(update: Update, context: BotContext, *, offset: int) -> None:
    """One page of exchanges; the first page opens with the totals."""
    async with context.session() as session:
        page = await list_exchanges(session, limit=PAGE_SIZE, offset=offset)
        totals = await exchange_totals(session) if offset == 0 else []
    if not page.items:
        await reply(update, _("No prisoner exchanges on file yet."))
        return
    header = _("🔁 <b>Prisoner exchanges</b> (newest first)")
    if offset == 0:
        header += "\n" + totals_block(totals)
    await send_page(
        update,
        header=header,
        blocks=[exchange_block(x) for x in page.items],
        refs=refs_of(FactKind.EXCHANGE, page.items),
        settings=context.settings,
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=page.has_more,
        callback="exch",
        extra=[exchanges_chart_button()],
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /exchanges and its page buttons."""
    app.add_handler(CommandHandler("exchanges", exchanges_cmd))
    app.add_handler(CallbackQueryHandler(exchanges_page_btn, pattern=r"^exch:"))
