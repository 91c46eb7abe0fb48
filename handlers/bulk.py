"""/import (a JSON document with that caption) and /export: bulk facts in and out, in chat."""

from __future__ import annotations

import datetime as dt
import io

from telegram import InputFile, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from core.context import BotContext
from core.i18n import N_, _
from handlers.admin import actor_of, editors_only
from handlers.common import reply
from kinds.dataset import dump_dataset, section_of
from kinds.export import export_dataset
from kinds.registry import reader_specs
from kinds.transfer import import_bytes
from render.blocks import esc

MAX_IMPORT_BYTES = 5 * 1024 * 1024
IMPORT_HELP = N_(
    "To import, send a JSON file (format: docs/data-format.md) with the caption /import. "
    "An import is all-or-nothing; facts whose key already exists are skipped."
)


@editors_only
async def import_document(update: Update, context: BotContext) -> None:
    """Import an attached JSON file; report what was added or why nothing was."""
    message = update.effective_message
    document = message.document if message else None
    if document is None:
        await reply(update, _(IMPORT_HELP))
        return
    if document.file_size and document.file_size > MAX_IMPORT_BYTES:
        await reply(
            update, _("That file is over 5 MB; split it or use `python -m bot import FILE`.")
        )
        return
    telegram_file = await document.get_file()
    raw = bytes(await telegram_file.download_as_bytearray())
    async with context.session() as session:
        report = await import_bytes(session, raw, actor=actor_of(update))
    if report.ok:
        await reply(update, "📥 " + esc(report.summary()))
        return
    shown = "\n".join(f"• {esc(e[:200])}" for e in report.errors[:15])
    more = len(report.errors) - 15
    tail = "\n…" + _("and {n} more").format(n=more) + "." if more > 0 else ""
    await reply(update, f"📥 {esc(report.summary())}\n{shown}{tail}")


@editors_only
async def import_cmd(update: Update, context: BotContext) -> None:
    """/import without a file: say how to send one."""
    await reply(update, _(IMPORT_HELP))


@editors_only
async def export_cmd(update: Update, context: BotContext) -> None:
    """Send every fact (retracted ones included) as a JSON file."""
    async with context.session() as session:
        dataset = await export_dataset(session, title="Peace talks briefing export")
    data = dump_dataset(dataset).encode("utf-8")
    today = dt.datetime.now(context.settings.tz).date().isoformat()
    counts = ", ".join(
        f"{len(section_of(dataset, spec))} {spec.section}" for spec in reader_specs()
    )
    message = update.effective_message
    assert message is not None
    await message.reply_document(
        InputFile(io.BytesIO(data), filename=f"briefing-export-{today}.json"),
        caption=_("📤 Export: {counts}. Import it with /import or `python -m bot import`.").format(
            counts=counts
        ),
        do_quote=False,
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /import (document with caption, or bare command) and /export."""
    app.add_handler(
        MessageHandler(
            filters.Document.ALL & filters.CaptionRegex(r"^/import(@\w+)?(\s|$)"), import_document
        )
    )
    app.add_handler(CommandHandler("import", import_cmd))
    app.add_handler(CommandHandler("export", export_cmd))
