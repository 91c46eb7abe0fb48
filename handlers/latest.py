"""/latest [N] [since <date>]: the newest curated updates, paged."""

from __future__ import annotations

import datetime as dt
import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.dates import DATE_EXAMPLES, format_date, parse_date
from core.i18n import N_, _
from handlers.common import (
    TOO_LONG_REPLY,
    command_args,
    page_offset,
    reply,
    send_page,
    small_int,
    stale_button,
    too_long,
)
from kinds.base import FactKind
from kinds.update import latest_updates, update_block
from render.blocks import esc, refs_of

DEFAULT_COUNT = 5
MAX_COUNT = 20
PAGE_SIZE = 5

USAGE = N_(
    "Usage: <code>/latest [N] [since DATE]</code>\n"
    "N is how many updates (1–{max}, default {default}).\n"
    "Examples: <code>/latest</code>, <code>/latest 10</code>, "
    "<code>/latest since Monday</code>, <code>/latest 10 since 1 June 2025</code>"
)


def usage() -> str:
    """The /latest usage text in the reader's language."""
    return _(USAGE).format(max=MAX_COUNT, default=DEFAULT_COUNT)


_ARGS = re.compile(r"^(?P<n>\S+)?\s*(?:since\s+(?P<since>.+))?$", re.IGNORECASE | re.DOTALL)


def parse_latest_args(args: str, *, context: BotContext) -> tuple[int, dt.date | None] | str:
    """Read N and the since-date; on bad input return the reply explaining what to type."""
    args = args.strip()
    if args.lower().startswith("since"):
        args = "- " + args
    match = _ARGS.match(args)
    if match is None:
        return usage()
    count = DEFAULT_COUNT
    raw_n = match.group("n")
    if raw_n and raw_n != "-":
        number = small_int(raw_n)
        if number is None and not (raw_n.isascii() and raw_n.isdigit()):
            return _("“{given}” is not a number of updates.").format(given=esc(raw_n[:40])) + (
                "\n\n" + usage()
            )
        count = number or 0
        if not 1 <= count <= MAX_COUNT:
            return _("I can show 1 to {max} updates at a time.").format(max=MAX_COUNT) + (
                "\n\n" + usage()
            )
    since = None
    if match.group("since") is not None:
        raw_since = match.group("since").strip()
        since = parse_date(
            raw_since, tz=context.settings.tz, languages=context.settings.date_languages
        )
        if since is None:
            return _("I couldn't read “{given}” as a date.\nTry for example: {examples}.").format(
                given=esc(raw_since[:60]), examples=_(DATE_EXAMPLES)
            )
    return count, since


async def latest_cmd(update: Update, context: BotContext) -> None:
    """Show the N newest updates, optionally since a date."""
    args = command_args(update)
    if too_long(args):
        await reply(update, _(TOO_LONG_REPLY))
        return
    parsed = parse_latest_args(args, context=context)
    if isinstance(parsed, str):
        await reply(update, parsed)
        return
    count, since = parsed
    await show_latest(update, context, count=count, since=since, offset=0)


async def latest_page_btn(update: Update, context: BotContext) -> None:
    """Turn the page of a /latest answer."""
    fields, offset = page_offset(update)
    count = small_int(fields[1]) if len(fields) == 3 else None
    day = small_int(fields[2], high=dt.date.max.toordinal()) if len(fields) == 3 else None
    if count is None or day is None:
        await stale_button(update, context)
        return
    since = dt.date.fromordinal(day) if day else None
    await show_latest(update, context, count=count, since=since, offset=offset)


async def show_latest(
    update: Update, context: BotContext, *, count: int, since: dt.date | None, offset: int
) -> None:
    """Render one page of the newest `count` updates."""
    offset = min(offset, max(0, count - 1))
    limit = min(PAGE_SIZE, count - offset)
    async with context.session() as session:
        page = await latest_updates(session, limit=limit, offset=offset, since=since)
    if not page.items:
        if since:
            text = _("No updates on file since {date}. Try /rounds or /positions.")
        else:
            text = _("No updates on file. Try /rounds or /positions.")
        await reply(update, text.format(date=format_date(since) if since else ""))
        return
    end = offset + len(page.items)
    shown = f"{offset + 1}–{end}" if end > 1 else "1"
    if since:
        header = _("📰 <b>Latest updates since {date}</b> ({shown}, newest first)")
    else:
        header = _("📰 <b>Latest updates</b> ({shown}, newest first)")
    header = header.format(date=format_date(since) if since else "", shown=shown)
    await send_page(
        update,
        header=header,
        blocks=[update_block(u) for u in page.items],
        refs=refs_of(FactKind.UPDATE, page.items),
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=page.has_more and end < count,
        callback=f"latest:{count}:{since.toordinal() if since else 0}",
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /latest and its page buttons."""
    app.add_handler(CommandHandler("latest", latest_cmd))
    app.add_handler(CallbackQueryHandler(latest_page_btn, pattern=r"^latest:"))
