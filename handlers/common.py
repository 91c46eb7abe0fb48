"""Helpers every command family shares: arguments, paged replies, usage answers."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from core.context import BotContext
from core.i18n import N_, _
from core.settings import Settings
from kinds.audit import fact_ref
from kinds.base import FactKind
from render.blocks import join_blocks, with_refs

log = logging.getLogger(__name__)

# Commands take short arguments; anything longer is a paste, not a query.
MAX_ARGS_LENGTH = 200
# The largest number a user or a button may give: it fits every integer column and OFFSET.
MAX_NUMBER = 2**31 - 1


def small_int(text: str, *, high: int = MAX_NUMBER) -> int | None:
    """`text` as a whole number 0..high written in ASCII digits, else None ("²" is no digit)."""
    text = text.strip()
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= high else None


# `/documents all`, `/rounds все`: the whole list, paged, as with no argument.
ALL_WORDS = ("all", "everything", "усі", "всі", "все")


NO_SUCH_PAGE = N_("There is no page {page}: the list is shorter. /{command} shows the first.")


def page_number(args: str, *, page_size: int) -> int | None:
    """The page a list command's argument asks for: 1 for none or "all", N for "N", else None."""
    if not args or args.casefold() in ALL_WORDS:
        return 1
    page = small_int(args, high=MAX_NUMBER // page_size)
    return page if page else None


def command_args(update: Update) -> str:
    """The text after the command word (and after @BotName in groups)."""
    message = update.effective_message
    text = (message.text or message.caption or "") if message else ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer with HTML: edit the message when a button was pressed, else send a new one."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        await query.answer()
        try:
            await query.message.edit_text(
                text, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
            )
        except BadRequest as exc:
            # Pressing the same page twice asks for an identical edit; that is not an error.
            if "not modified" not in str(exc).lower():
                raise
        return
    message = update.effective_message
    if message is not None:
        await message.reply_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=True,
            do_quote=False,
        )


def sender_is_editor(update: Update, context: BotContext) -> bool:
    """True when the sender is in ADMIN_IDS: the one editor check (lists then show fact ids)."""
    user = update.effective_user
    return user is not None and user.id in context.settings.admin_ids


def too_long(args: str) -> bool:
    """True when the arguments are far longer than any command needs."""
    return len(args) > MAX_ARGS_LENGTH


TOO_LONG_REPLY = N_(
    "That is longer than any command needs. Send a short command, e.g. "
    "<code>/search ceasefire</code>, or /help for the list."
)


async def send_page(
    update: Update,
    *,
    header: str,
    blocks: Sequence[str],
    offset: int,
    page_size: int,
    has_more: bool,
    callback: str,
    labels: tuple[str, str] = (N_("◀ Newer"), N_("Older ▶")),
    footer: str = "",
    refs: Sequence[tuple[FactKind, int]] = (),
    settings: Settings | None = None,
    extra: Sequence[InlineKeyboardButton] = (),
) -> None:
    """Send one page of blocks with back/forward buttons; `callback` is the data prefix.

    With `refs` (the fact of each block), each block ends with its id and a row of "📖 U12"
    buttons opens the facts shown in full (/show). `extra` buttons (e.g. 📊 Chart) go on a row
    of their own under the pager.
    """
    if refs:
        blocks = with_refs(blocks, refs, settings)
    text, used = join_blocks(header, blocks, footer)
    more_after = has_more or used < len(blocks)
    rows = full_text_rows(refs[:used])
    buttons = []
    if offset > 0:
        back = max(0, offset - page_size)
        buttons.append(InlineKeyboardButton(_(labels[0]), callback_data=f"{callback}:{back}"))
    if more_after:
        buttons.append(
            InlineKeyboardButton(_(labels[1]), callback_data=f"{callback}:{offset + used}")
        )
    rows += [row for row in (buttons, list(extra)) if row]
    await reply(update, text, InlineKeyboardMarkup(rows) if rows else None)


# A phone shows about five short buttons side by side.
_BUTTONS_PER_ROW = 5


def full_text_rows(refs: Sequence[tuple[FactKind, int]]) -> list[list[InlineKeyboardButton]]:
    """Buttons "📖 U12" that open each listed fact in full, in even rows of at most five."""
    if not refs:
        return []
    per_row = math.ceil(len(refs) / math.ceil(len(refs) / _BUTTONS_PER_ROW))
    buttons = [
        InlineKeyboardButton(
            f"📖 {fact_ref(kind, fact_id)}", callback_data=show_data(kind, fact_id)
        )
        for kind, fact_id in refs
    ]
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def show_data(kind: FactKind, fact_id: int) -> str:
    """The callback data of a button that shows one fact in full ("show:U12")."""
    return f"show:{fact_ref(kind, fact_id)}"


def page_offset(update: Update) -> tuple[list[str], int]:
    """For a pressed pager button: the data's fields before the offset, and the offset."""
    data = update.callback_query.data if update.callback_query else None
    if not isinstance(data, str):
        return [], 0
    *fields, last = data.split(":")
    return fields, small_int(last) or 0


async def stale_button(update: Update, context: BotContext) -> None:
    """Answer a button whose data no longer makes sense."""
    if update.callback_query is not None:
        await update.callback_query.answer(_("This button has expired — send the command again."))


async def answer_empty_page(
    update: Update, context: BotContext, *, offset: int, page: int | None, empty: str, command: str
) -> None:
    """A list page with nothing on it: the list is empty, the typed page is past the end, or
    (no `page`) an old or forged button points past the end."""
    if offset == 0:
        await reply(update, empty)
    elif page is not None:
        await reply(update, _(NO_SUCH_PAGE).format(page=page, command=command))
    else:
        await stale_button(update, context)
