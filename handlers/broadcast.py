"""/broadcast (breaking news to every subscriber, after a preview) and /stats, for editors."""

from __future__ import annotations

import json
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.dates import format_date
from core.i18n import N_, _, ngettext
from core.text import number
from handlers.admin import editors_only
from handlers.common import command_args, reply, small_int
from render.blocks import esc
from services.delivery import send_broadcast
from store import broadcasts, drafts
from store.drafts import BROADCAST
from store.models import DraftStatus

log = logging.getLogger(__name__)

MAX_BROADCAST = 3500
USAGE = N_(
    "Usage: <code>/broadcast TEXT</code> — a preview comes first; nothing is sent until Send."
)
NO_RECIPIENTS = N_(
    "No chat receives news yet (readers join with /subscribe), so a broadcast would reach no "
    "one: nothing was prepared."
)


@editors_only
async def broadcast_cmd(update: Update, context: BotContext) -> None:
    """Preview a broadcast with Send / Cancel buttons."""
    text = command_args(update)
    if not text:
        await reply(update, _(USAGE))
        return
    if len(text) > MAX_BROADCAST:
        await reply(
            update,
            _("Keep a broadcast under {limit} characters.").format(limit=number(MAX_BROADCAST)),
        )
        return
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    async with context.session() as session:
        stats = await broadcasts.delivery_stats(session)
        if stats.news_recipients == 0:
            await reply(update, _(NO_RECIPIENTS))
            return
        draft = await drafts.create_draft(
            session,
            actor_id=user.id,
            chat_id=chat.id,
            action=BROADCAST,
            kind=None,
            payload={"text": text},
        )
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("📣 Send"), callback_data=f"bcast:send:{draft.id}"),
                InlineKeyboardButton(_("✖️ Cancel"), callback_data=f"bcast:cancel:{draft.id}"),
            ]
        ]
    )
    await reply(
        update,
        ngettext(
            "📣 <b>Preview of a broadcast</b> to {n} subscriber:",
            "📣 <b>Preview of a broadcast</b> to {n} subscribers:",
            stats.news_recipients,
        ).format(n=number(stats.news_recipients))
        + f"\n\n{esc(text)}",
        buttons,
    )


@editors_only
async def broadcast_btn(update: Update, context: BotContext) -> None:
    """Send or cancel a previewed broadcast; a second press sends nothing more."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    if len(parts) != 3 or small_int(parts[2]) is None:
        await query.answer(_("This button has expired."))
        return
    verb, draft_id = parts[1], small_int(parts[2]) or 0
    status = DraftStatus.SAVED if verb == "send" else DraftStatus.CANCELLED
    async with context.session() as session:
        draft = await drafts.get_draft(session, draft_id=draft_id)
        if draft is not None and draft.action != BROADCAST:
            # Not a broadcast's draft (a forged button): leave an editor's pending fact alone.
            await query.answer(_("This button has expired."))
            return
        won = draft is not None and await drafts.claim_draft(
            session, draft_id=draft_id, status=status
        )
        broadcast_id = None
        if won and draft is not None and status is DraftStatus.SAVED:
            text = json.loads(draft.payload)["text"]
            await session.commit()
            broadcast_id = await broadcasts.create_broadcast(
                session, text=esc(text), created_by=draft.actor_id
            )
        else:
            await session.commit()
    if not won:
        await query.answer(_("Already handled; nothing more was sent."), show_alert=True)
        return
    message = query.message if isinstance(query.message, Message) else None
    if broadcast_id is None:
        await query.answer(_("Cancelled."))
        if message:
            await message.edit_text(_("✖️ Broadcast cancelled — nothing was sent."))
        return
    await query.answer(_("Sending…"))
    if message:
        await message.edit_text(_("📣 Broadcast {id} is being sent…").format(id=broadcast_id))
    sessions = context.bot_data.sessions
    assert sessions is not None
    chat_id = update.effective_chat.id if update.effective_chat else None

    async def deliver() -> None:
        stats = await send_broadcast(
            context.bot, sessions, context.settings, broadcast_id=broadcast_id
        )
        if chat_id is not None:
            await context.bot.send_message(
                chat_id,
                _(
                    "📣 Broadcast {id} done: {sent} sent, {failed} failed, {blocked} blocked, "
                    "in {seconds} s."
                ).format(
                    id=broadcast_id,
                    sent=number(stats.sent),
                    failed=number(stats.failed),
                    blocked=number(stats.blocked),
                    seconds=f"{stats.seconds:.1f}",
                ),
            )

    context.application.create_task(deliver(), update=update, name=f"broadcast {broadcast_id}")


@editors_only
async def stats_cmd(update: Update, context: BotContext) -> None:
    """Subscribers active and inactive, and how the last briefing run went."""
    async with context.session() as session:
        stats = await broadcasts.delivery_stats(session)
    lines = [
        _("📊 <b>Briefing statistics</b>"),
        _("Chats that used the bot: {n}").format(n=number(stats.chats)),
        _("Subscribed and reachable: {n}").format(n=number(stats.subscribed_active)),
        _("Subscribed but blocked or gone: {n}").format(n=number(stats.subscribed_inactive)),
    ]
    run = stats.last_run
    if run is None or run.finished_at is None:
        lines.append(_("No briefing run has finished yet."))
    else:
        took = (run.finished_at - run.started_at).total_seconds()
        lines.append(
            _(
                "Last briefing run ({when} UTC): {sent} sent, {failed} failed, "
                "{blocked} blocked, {unknown} in doubt, in {seconds} s."
            ).format(
                when=f"{format_date(run.started_at.date())} {run.started_at:%H:%M}",
                sent=number(run.sent),
                failed=number(run.failed),
                blocked=number(run.blocked),
                unknown=number(run.unknown),
                seconds=f"{took:.1f}",
            )
        )
    await reply(update, "\n".join(lines))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /broadcast, its buttons, and /stats."""
    app.add_handler(CommandHandler("broadcast", broadcast_cmd))
    app.add_handler(CallbackQueryHandler(broadcast_btn, pattern=r"^bcast:"))
    app.add_handler(CommandHandler("stats", stats_cmd))
