"""Reader list commands that kinds declare (`list_command`, e.g. /documents), newest first."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.i18n import N_, _
from handlers.common import (
    answer_empty_page,
    command_args,
    page_number,
    page_offset,
    reply,
    send_page,
)
from kinds.registry import SPECS, AnySpec
from render.blocks import fact_block, refs_of

PAGE_SIZE = 4

USAGE = N_(
    "Usage: <code>/{command}</code> (newest first) or <code>/{command} PAGE</code>, "
    "e.g. <code>/{command} 2</code>"
)


async def list_cmd(update: Update, context: BotContext, spec: AnySpec) -> None:
    """`/documents [PAGE|all]`: a page of a kind's list, the first by default."""
    command = spec.list_command or ""
    page = page_number(command_args(update), page_size=PAGE_SIZE)
    if page is None:
        await reply(update, _(USAGE).format(command=command))
        return
    await show_list(update, context, spec, offset=(page - 1) * PAGE_SIZE, page=page)


async def show_list(
    update: Update, context: BotContext, spec: AnySpec, *, offset: int, page: int | None = None
) -> None:
    """One page of a kind's list; `page` is the number a reader typed, if any."""
    async with context.session() as session:
        result = await spec.list_page(session, limit=PAGE_SIZE, offset=offset)
    if not result.items:
        empty, command = _(spec.list_empty), spec.list_command or ""
        await answer_empty_page(
            update, context, offset=offset, page=page, empty=empty, command=command
        )
        return
    await send_page(
        update,
        header=_(spec.list_title),
        blocks=[fact_block(spec.kind, view) for view in result.items],
        refs=refs_of(spec.kind, result.items),
        settings=context.settings,
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=result.has_more,
        callback=spec.list_command or "",
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire each declared list command and its page buttons."""
    for spec in SPECS:
        if not spec.list_command:
            continue

        async def command(update: Update, context: BotContext, spec: AnySpec = spec) -> None:
            await list_cmd(update, context, spec)

        async def page_button(update: Update, context: BotContext, spec: AnySpec = spec) -> None:
            _fields, offset = page_offset(update)
            await show_list(update, context, spec, offset=offset)

        app.add_handler(CommandHandler(spec.list_command, command))
        app.add_handler(CallbackQueryHandler(page_button, pattern=rf"^{spec.list_command}:"))
