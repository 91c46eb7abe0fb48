"""/exchanges [YEAR]: prisoner exchanges, newest first, with yearly totals per side."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.i18n import N_, _
from handlers.charts import MAX_YEAR, MIN_YEAR, exchanges_chart, exchanges_chart_button
from handlers.common import (
    ALL_WORDS,
    command_args,
    page_offset,
    reply,
    send_page,
    small_int,
    stale_button,
)
from kinds.base import FactKind
from kinds.exchange_totals import exchange_totals, totals_block
from kinds.exchange_views import exchange_block, list_exchanges
from render.blocks import refs_of

PAGE_SIZE = 5

USAGE = N_(
    "Usage: <code>/exchanges</code> (newest first), <code>/exchanges YEAR</code> or "
    "<code>/exchanges chart [YEAR]</code>, e.g. <code>/exchanges 2025</code>"
)


async def exchanges_cmd(update: Update, context: BotContext) -> None:
    """List prisoner exchanges, newest first (one year's with a year); `chart` draws them."""
    args = command_args(update)
    word, _sep, rest = args.partition(" ")
    if word.lower() == "chart":
        await exchanges_chart(update, context, rest.strip())
        return
    if not args or args.casefold() in ALL_WORDS:
        await show_exchanges(update, context, offset=0)
        return
    year = small_int(args, high=MAX_YEAR)
    if year is None or year < MIN_YEAR:
        await reply(update, _(USAGE))
        return
    await show_exchanges(update, context, offset=0, year=year)


async def exchanges_page_btn(update: Update, context: BotContext) -> None:
    """Turn the page of an /exchanges answer ("exch:OFFSET", or "exch:YEAR:OFFSET")."""
    fields, offset = page_offset(update)
    year = small_int(fields[1], high=MAX_YEAR) if len(fields) == 2 else None
    if len(fields) == 2 and (year is None or year < MIN_YEAR):
        await stale_button(update, context)
        return
    await show_exchanges(update, context, offset=offset, year=year)


async def show_exchanges(
    update: Update, context: BotContext, *, offset: int, year: int | None = None
) -> None:
    """One page of exchanges (of `year`, if given); the first page opens with the totals."""
    async with context.session() as session:
        page = await list_exchanges(session, limit=PAGE_SIZE, offset=offset, year=year)
        totals = await exchange_totals(session) if offset == 0 else []
    if not page.items:
        await reply(
            update,
            _("No prisoner exchanges on file for {year}.").format(year=year)
            if year
            else _("No prisoner exchanges on file yet."),
        )
        return
    if year is None:
        header = _("🔁 <b>Prisoner exchanges</b> (newest first)")
    else:
        header = _("🔁 <b>Prisoner exchanges in {year}</b> (newest first)").format(year=year)
        totals = [t for t in totals if t.year == year]
    if offset == 0:
        header += "\n" + (
            totals_block(totals)
            if totals or year is None
            else "<i>" + _("No completed exchanges on file for {year}.").format(year=year) + "</i>"
        )
    await send_page(
        update,
        header=header,
        blocks=[exchange_block(x) for x in page.items],
        refs=refs_of(FactKind.EXCHANGE, page.items),
        settings=context.settings,
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=page.has_more,
        callback="exch" if year is None else f"exch:{year}",
        extra=[exchanges_chart_button(year)],
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /exchanges and its page buttons."""
    app.add_handler(CommandHandler("exchanges", exchanges_cmd))
    app.add_handler(CallbackQueryHandler(exchanges_page_btn, pattern=r"^exch:"))
