"""/exchanges chart and /rounds chart, and the 📊 buttons under /exchanges and /rounds."""

from __future__ import annotations

from telegram import InlineKeyboardButton, Message, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler

from core.context import BotContext
from core.i18n import _
from handlers.common import reply, small_int
from kinds.charts import exchange_chart, latest_exchange_year
from kinds.charts import rounds_chart as rounds_chart_data
from render.charts import exchanges_caption, rounds_caption
from services.charts import Send, send_exchanges_chart, send_rounds_chart

MIN_YEAR, MAX_YEAR = 1900, 2100


def exchanges_chart_button(year: int | None = None) -> InlineKeyboardButton:
    """The button under /exchanges that sends the chart (of `year`, else the latest year)."""
    return InlineKeyboardButton(
        _("📊 Chart"), callback_data="xchart" if year is None else f"xchart:{year}"
    )


def rounds_chart_button() -> InlineKeyboardButton:
    """The button under /rounds that sends the timeline."""
    return InlineKeyboardButton(_("📊 Timeline"), callback_data="rchart")


def _sender(update: Update, caption: str) -> Send | None:
    """Send a photo into the chat of the command or of the pressed button."""
    query = update.callback_query
    message = query.message if query is not None else update.effective_message
    if not isinstance(message, Message):
        return None
    target = message

    async def send(photo: str | bytes) -> Message:
        return await target.reply_photo(
            photo, caption=caption, parse_mode=ParseMode.HTML, do_quote=False
        )

    return send


async def exchanges_chart(update: Update, context: BotContext, args: str = "") -> None:
    """/exchanges chart [YEAR]: people returned to each side per month, as a picture."""
    year: int | None = None
    if args:
        year = small_int(args, high=MAX_YEAR)
        if year is None or year < MIN_YEAR:
            await reply(
                update,
                _("Usage: {usage}, e.g. {example}").format(
                    usage="<code>/exchanges chart [YEAR]</code>",
                    example="<code>/exchanges chart 2025</code>",
                ),
            )
            return
    async with context.session() as session:
        year = year or await latest_exchange_year(session)
        data = await exchange_chart(session, year=year) if year else None
    if data is None or not (data.completed or data.agreed):
        await reply(
            update,
            _("No prisoner exchanges on file for {year}.").format(year=year)
            if year
            else _("No prisoner exchanges on file yet."),
        )
        return
    send = _sender(update, exchanges_caption(data))
    if update.callback_query is not None:
        await update.callback_query.answer()
    if send is not None:
        await send_exchanges_chart(context.session, data, send)


async def rounds_chart_cmd(update: Update, context: BotContext) -> None:
    """/rounds chart: the rounds of talks on a timeline, as a picture."""
    async with context.session() as session:
        data = await rounds_chart_data(session)
    if not data.rounds:
        await reply(update, _("No rounds of talks on file yet."))
        return
    send = _sender(update, rounds_caption(data))
    if update.callback_query is not None:
        await update.callback_query.answer()
    if send is not None:
        await send_rounds_chart(context.session, data, send)


async def exchanges_chart_btn(update: Update, context: BotContext) -> None:
    """The 📊 Chart button under /exchanges ("xchart", or "xchart:YEAR" under one year's)."""
    data = update.callback_query.data if update.callback_query else None
    _word, _sep, year = (data if isinstance(data, str) else "").partition(":")
    await exchanges_chart(update, context, year)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire the chart buttons (the commands are words of /exchanges and /rounds)."""
    app.add_handler(CallbackQueryHandler(exchanges_chart_btn, pattern=r"^xchart(:\d{4})?$"))
    app.add_handler(CallbackQueryHandler(rounds_chart_cmd, pattern=r"^rchart$"))
