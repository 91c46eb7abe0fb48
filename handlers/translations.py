"""/translations missing uk: the facts editors have not translated into a language yet."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.dates import format_date
from core.i18n import LANGUAGES, N_, _
from core.text import clip, esc
from handlers.admin import editors_only
from handlers.common import page_offset, reply, send_page
from kinds.translations import TRANSLATE_HELP, missing_translations

PAGE_SIZE = 10
USAGE = N_(
    "Usage: <code>/translations missing uk</code> — the facts with no translation into "
    "a language ({languages})."
)


async def _show(update: Update, context: BotContext, language: str, offset: int) -> None:
    async with context.session() as session:
        page = await missing_translations(
            session, language=language, limit=PAGE_SIZE, offset=offset
        )
    if not page.items and offset == 0:
        await reply(
            update,
            _("🌐 Every fact has a translation into {language}.").format(language=language),
        )
        return
    await send_page(
        update,
        header=_("🌐 <b>Not translated into {language}</b>").format(language=language),
        blocks=[f"📅 {format_date(u.date)} — {esc(clip(u.title, 120))}" for u in page.items],
        refs=[(u.kind, u.fact_id) for u in page.items],
        settings=context.settings,
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=page.has_more,
        callback=f"translations:{language}",
        footer="\n\n<i>" + esc(_(TRANSLATE_HELP)) + "</i>",
    )


@editors_only
async def translations_command(update: Update, context: BotContext) -> None:
    """/translations missing LANG: a page of facts lacking a translation into LANG."""
    args = [a.lower() for a in context.args or []]
    if len(args) != 2 or args[0] != "missing" or args[1] not in LANGUAGES:
        await reply(update, _(USAGE).format(languages=", ".join(LANGUAGES)))
        return
    await _show(update, context, args[1], 0)


@editors_only
async def translations_page(update: Update, context: BotContext) -> None:
    """A ◀ / ▶ button of the list."""
    fields, offset = page_offset(update)
    if update.callback_query is not None:
        await update.callback_query.answer()
    language = fields[1] if len(fields) == 2 and fields[1] in LANGUAGES else None
    if language is not None:
        await _show(update, context, language, offset)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /translations and its page buttons."""
    app.add_handler(CommandHandler("translations", translations_command))
    app.add_handler(CallbackQueryHandler(translations_page, pattern=r"^translations:"))
