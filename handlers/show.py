"""/show U12: one fact in full, with a Share button; the lists' "📖 U12" buttons open it too."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.i18n import _
from handlers.common import (
    TOO_LONG_REPLY,
    command_args,
    reply,
    show_data,
    stale_button,
    too_long,
)
from kinds.audit import fact_ref, parse_fact_ref
from kinds.base import FactKind
from kinds.full import FullFact, full_fact
from kinds.registry import reader_specs
from render.blocks import esc
from render.full import full_messages


def show_usage() -> str:
    """How to ask for a fact in full, with the id letters."""
    letters = ", ".join(f"<code>{s.letter}</code> {esc(_(s.noun))}" for s in reader_specs())
    return _(
        "Usage: <code>/show U12</code>: one fact in full, with every source and its history.\n"
        "Ids are at the end of every item in the lists: {letters}."
    ).format(letters=letters)


def fact_markup(fact: FullFact) -> InlineKeyboardMarkup | None:
    """Share (a live fact, into any chat) and, for a superseded fact, the current one."""
    row: list[InlineKeyboardButton] = []
    if fact.retracted_at is None:
        row.append(InlineKeyboardButton(_("↗️ Share"), switch_inline_query=fact.ref))
        if fact.successor is not None:
            successor = parse_fact_ref(fact.successor.ref)
            if successor is not None:
                label = _("➡️ Current: {ref}").format(ref=fact.successor.ref)
                row.append(InlineKeyboardButton(label, callback_data=show_data(*successor)))
    return InlineKeyboardMarkup([row]) if row else None


def preview_options(fact: FullFact) -> LinkPreviewOptions:
    """The link preview of a fact in full: its primary source's page, or none."""
    url = fact.primary_url
    return LinkPreviewOptions(url=url) if url else LinkPreviewOptions(is_disabled=True)


async def send_fact(update: Update, context: BotContext, kind: FactKind, fact_id: int) -> None:
    """Send one fact in full as new messages (a pressed button keeps its list in place)."""
    async with context.session() as session:
        fact = await full_fact(session, kind=kind, fact_id=fact_id)
    query = update.callback_query
    if fact is None:
        missing = _("There is no {ref}.").format(ref=fact_ref(kind, fact_id))
        if query is not None:
            await query.answer(missing)
        else:
            await reply(update, missing + "\n" + show_usage())
        return
    if query is not None:
        await query.answer()
    anchor = query.message if query is not None else update.effective_message
    chat = update.effective_chat
    texts = full_messages(fact, tz=context.settings.tz)
    for i, text in enumerate(texts):
        markup = fact_markup(fact) if i == len(texts) - 1 else None
        preview = preview_options(fact) if i == 0 else LinkPreviewOptions(is_disabled=True)
        if isinstance(anchor, Message):
            await anchor.reply_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=preview,
                do_quote=False,
            )
        elif chat is not None:
            await chat.send_message(
                text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=preview
            )


async def show_cmd(update: Update, context: BotContext) -> None:
    """Show the fact with the given id in full."""
    args = command_args(update)
    if too_long(args):
        await reply(update, _(TOO_LONG_REPLY))
        return
    if not args:
        await reply(update, show_usage())
        return
    ref = parse_fact_ref(args)
    if ref is None:
        await reply(
            update,
            _("“{text}” is not a fact id.").format(text=esc(args[:20])) + "\n" + show_usage(),
        )
        return
    await send_fact(update, context, *ref)


async def show_button(update: Update, context: BotContext) -> None:
    """A "📖 U12" button: the fact in full, below the list."""
    data = update.callback_query.data if update.callback_query else None
    ref = parse_fact_ref(data.removeprefix("show:")) if isinstance(data, str) else None
    if ref is None:
        await stale_button(update, context)
        return
    await send_fact(update, context, *ref)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /show and the buttons that open a fact in full."""
    app.add_handler(CommandHandler("show", show_cmd))
    app.add_handler(CallbackQueryHandler(show_button, pattern=r"^show:"))
