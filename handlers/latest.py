"""/latest [N] [since <date>]: the newest curated updates, paged."""

from __future__ import annotations

import datetime as dt
import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.dates import DATE_EXAMPLES, format_date, parse_date
from handlers.common import (
    TOO_LONG_REPLY,
    command_args,
    page_offset,
    reply,
    send_page,
    sender_is_editor,
    small_int,
    stale_button,
    too_long,
)
from kinds.base import FactKind
from kinds.update import latest_updates, update_block
from render.blocks import esc, refs_of, with_refs

DEFAULT_COUNT = 5
MAX_COUNT = 20
PAGE_SIZE = 5

USAGE = (
    "Usage: <code>/latest [N] [since DATE]</code>\n"
    f"N is how many updates (1–{MAX_COUNT}, default {DEFAULT_COUNT}).\n"
    "Examples: <code>/latest</code>, <code>/latest 10</code>, "
    "<code>/latest since Monday</code>, <code>/latest 10 since 1 June 2025</code>"
)

_ARGS = re.compile(r"^(?P<n>\S+)?\s*(?:since\s+(?P<since>.+))?$", re.IGNORECASE | re.DOTALL)


def parse_latest_args(args: str, *, context: BotContext) -> tuple[int, dt.date | None] | str:
    """Read N and the since-date; on bad input return the reply explaining what to type."""
    args = args.strip()
    if args.lower().startswith("since"):
        args = "- " + args
    match = _ARGS.match(args)
    if match is None:
        return USAGE
    count = DEFAULT_COUNT
    raw_n = match.group("n")
    if raw_n and raw_n != "-":
        number = small_int(raw_n)
        if number is None and not (raw_n.isascii() and raw_n.isdigit()):
            return f"“{esc(raw_n[:40])}” is not a number of updates.\n\n{USAGE}"
        count = number or 0
        if not 1 <= count <= MAX_COUNT:
            return f"I can show 1 to {MAX_COUNT} updates at a time.\n\n{USAGE}"
    since = None
    if match.group("since") is not None:
        raw_since = match.group("since").strip()
        since = parse_date(
            raw_since, tz=context.settings.tz, languages=context.settings.date_languages
        )
        if since is None:
            return (
                f"I couldn't read “{esc(raw_since[:60])}” as a date.\n"
                f"Try for example: {DATE_EXAMPLES}."
            )
    return count, since


async def latest_cmd(update: Update, context: BotContext) -> None:
    """Show the N newest updates, optionally since a date."""
    args = command_args(update)
    if too_long(args):
        await reply(update, TOO_LONG_REPLY)
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
        where = f" since {format_date(since)}" if since else ""
        await reply(update, f"No updates on file{where}. Try /rounds or /positions.")
        return
    end = offset + len(page.items)
    shown = f"{offset + 1}–{end}" if end > 1 else "1"
    where = f" since {format_date(since)}" if since else ""
    header = f"📰 <b>Latest updates{where}</b> ({shown}, newest first)"
    await send_page(
        update,
        header=header,
        blocks=with_refs(
            [update_block(u) for u in page.items],
            refs_of(FactKind.UPDATE, page.items),
            sender_is_editor(update, context),
            context.settings,
        ),
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=page.has_more and end < count,
        callback=f"latest:{count}:{since.toordinal() if since else 0}",
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /latest and its page buttons."""
    app.add_handler(CommandHandler("latest", latest_cmd))
    app.add_handler(CallbackQueryHandler(latest_page_btn, pattern=r"^latest:"))
