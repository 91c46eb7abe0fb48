"""/latest [N] [since|until|in|between …]: the newest curated updates, paged to the first."""

from __future__ import annotations

import datetime as dt

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.dates import (
    WINDOW_EXAMPLES,
    WINDOW_WORD,
    DateWindow,
    ReversedWindow,
    format_date,
    parse_window,
)
from core.i18n import _
from handlers.common import (
    TOO_LONG_REPLY,
    command_args,
    reply,
    send_page,
    small_int,
    stale_button,
    too_long,
)
from kinds.base import FactKind
from kinds.update import latest_updates, update_block
from render.blocks import esc, join_blocks, refs_of, with_refs

DEFAULT_COUNT = 5
MAX_COUNT = 20
_MAX_DAY = dt.date.max.toordinal()


def usage() -> str:
    """How to call /latest, with examples."""
    return _(
        "Usage: <code>/latest [N] [since|until|in|between DATE]</code>\n"
        "N is how many updates per page (1–{most}, default {default}); ◀ ▶ page back to the "
        "first.\n"
        "Examples: <code>/latest</code>, <code>/latest 10</code>, "
        "<code>/latest since mid-March 2025</code>, <code>/latest in May 2025</code>, "
        "<code>/latest between 1 and 15 June 2025</code>"
    ).format(most=MAX_COUNT, default=DEFAULT_COUNT)


def parse_latest_args(args: str, *, context: BotContext) -> tuple[int, DateWindow] | str:
    """Read N and the date window; on bad input return the reply explaining what to type."""
    words = args.split(maxsplit=1)
    count = DEFAULT_COUNT
    if words and not WINDOW_WORD.match(args):
        number = small_int(words[0])
        if number is None and not (words[0].isascii() and words[0].isdigit()):
            return (
                _("“{text}” is not a number of updates.").format(text=esc(words[0][:40]))
                + f"\n\n{usage()}"
            )
        count = number or 0
        if not 1 <= count <= MAX_COUNT:
            return (
                _("I can show 1 to {most} updates at a time.").format(most=MAX_COUNT)
                + f"\n\n{usage()}"
            )
        args = words[1] if len(words) > 1 else ""
    args = args.strip()
    if not args:
        return count, DateWindow()
    phrase = args.split(maxsplit=1)
    if len(phrase) < 2 or not WINDOW_WORD.match(args):
        return usage()
    window = parse_window(args, tz=context.settings.tz, languages=context.settings.date_languages)
    if isinstance(window, ReversedWindow):
        text = _("The end, {end}, is before the start, {start}: put the earlier date first.")
        return text.format(end=format_date(window.end), start=format_date(window.start))
    if window is None:
        return (
            _("I couldn't read “{text}” as a date or a span of dates.").format(
                text=esc(phrase[1][:60])
            )
            + "\n"
            + _("Try for example: {examples}.").format(examples=_(WINDOW_EXAMPLES))
        )
    return count, window


async def latest_cmd(update: Update, context: BotContext) -> None:
    """Show the newest updates, optionally within a date window."""
    args = command_args(update)
    if too_long(args):
        await reply(update, _(TOO_LONG_REPLY))
        return
    parsed = parse_latest_args(args, context=context)
    if isinstance(parsed, str):
        await reply(update, parsed)
        return
    count, window = parsed
    await show_latest(update, context, count=count, window=window, offset=0)


def _window(start: str, end: str) -> DateWindow | None:
    """The window a button carries as two day ordinals (0: open); None when it is not one."""
    first, last = small_int(start, high=_MAX_DAY), small_int(end, high=_MAX_DAY)
    if first is None or last is None or (first and last and first > last):
        return None
    return DateWindow(
        dt.date.fromordinal(first) if first else None, dt.date.fromordinal(last) if last else None
    )


async def latest_page_btn(update: Update, context: BotContext) -> None:
    """Turn the page of a /latest answer (the data carries N and the window)."""
    query = update.callback_query
    fields = query.data.split(":") if query is not None and isinstance(query.data, str) else []
    if len(fields) != 5:
        await stale_button(update, context)
        return
    count = small_int(fields[1], high=MAX_COUNT)
    offset = small_int(fields[4])
    window = _window(fields[2], fields[3])
    if not count or offset is None or window is None:
        await stale_button(update, context)
        return
    await show_latest(update, context, count=count, window=window, offset=offset)


def _ordinal(day: dt.date | None) -> int:
    return day.toordinal() if day is not None else 0


async def show_latest(
    update: Update, context: BotContext, *, count: int, window: DateWindow, offset: int
) -> None:
    """Render one page of `count` updates from `offset`, newest first, within `window`."""
    async with context.session() as session:
        page = await latest_updates(
            session, limit=count, offset=offset, since=window.start, until=window.end
        )
    label = window.label()
    if not page.items:
        if offset > 0:  # a page past the end (an old or forged button)
            await stale_button(update, context)
            return
        text = (
            _("No updates on file {window}.").format(window=label)
            if label
            else _("No updates on file.")
        )
        await reply(update, text + " " + _("Try /rounds or /positions."))
        return
    if window.start is not None and window.end is not None:
        title = _("Latest updates, {window}").format(window=label)
    elif label:
        title = _("Latest updates {window}").format(window=label)
    else:
        title = _("Latest updates")

    def header(shown: int) -> str:
        end = offset + shown
        numbers = f"{offset + 1}–{end}" if end > 1 else "1"
        return "📰 <b>{title}</b> ({shown})".format(
            title=title, shown=_("{shown}, newest first").format(shown=numbers)
        )

    blocks = [update_block(u) for u in page.items]
    refs = refs_of(FactKind.UPDATE, page.items)
    # Long updates may not all fit one message: the header counts those that do.
    _text, fit = join_blocks(header(len(blocks)), with_refs(blocks, refs, context.settings))
    await send_page(
        update,
        header=header(fit),
        blocks=blocks[:fit],
        refs=refs[:fit],
        settings=context.settings,
        offset=offset,
        page_size=count,
        has_more=page.has_more or fit < len(blocks),
        callback=f"latest:{count}:{_ordinal(window.start)}:{_ordinal(window.end)}",
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /latest and its page buttons."""
    app.add_handler(CommandHandler("latest", latest_cmd))
    app.add_handler(CallbackQueryHandler(latest_page_btn, pattern=r"^latest:"))
