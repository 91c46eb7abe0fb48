"""Reader list commands that kinds declare (`list_command`, e.g. /documents), newest first."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.i18n import _
from handlers.common import page_offset, reply, send_page
from kinds.registry import SPECS, AnySpec
from render.blocks import fact_block, refs_of

PAGE_SIZE = 4


async def show_list(update: Update, context: BotContext, spec: AnySpec, *, offset: int) -> None:
    """One page of a kind's list."""
    async with context.session() as session:
        page = await spec.list_page(session, limit=PAGE_SIZE, offset=offset)
    if not page.items:
        await reply(update, _(spec.list_empty))
        return
    await send_page(
        update,
        header=_(spec.list_title),
        blocks=[fact_block(spec.kind, view) for view in page.items],
        refs=refs_of(spec.kind, page.items),
        settings=context.settings,
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=page.has_more,
        callback=spec.list_command or "",
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire each declared list command and its page buttons."""
    for spec in SPECS:
        if not spec.list_command:
            continue

        async def command(update: Update, context: BotContext, spec: AnySpec = spec) -> None:
            await show_list(update, context, spec, offset=0)

        async def page_button(update: Update, context: BotContext, spec: AnySpec = spec) -> None:
            _fields, offset = page_offset(update)
            await show_list(update, context, spec, offset=offset)

        app.add_handler(CommandHandler(spec.list_command, command))
        app.add_handler(CallbackQueryHandler(page_button, pattern=rf"^{spec.list_command}:"))
