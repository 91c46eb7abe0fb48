"""/broadcast (breaking news to every subscriber, after a preview) and /stats, for editors."""

from __future__ import annotations

import json
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.dates import format_date
from handlers.admin import editors_only
from handlers.common import command_args, reply, small_int
from render.blocks import esc
from services.delivery import send_broadcast
from store import broadcasts, drafts
from store.drafts import BROADCAST
from store.models import DraftStatus

log = logging.getLogger(__name__)

MAX_BROADCAST = 3500
USAGE = "Usage: <code>/broadcast TEXT</code> — a preview comes first; nothing is sent until Send."


@editors_only
async def broadcast_cmd(update: Update, context: BotContext) -> None:
    """Preview a broadcast with Send / Cancel buttons."""
    text = command_args(update)
    if not text:
        await reply(update, USAGE)
        return
    if len(text) > MAX_BROADCAST:
        await reply(update, f"Keep a broadcast under {MAX_BROADCAST:,} characters.")
        return
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    async with context.session() as session:
        stats = await broadcasts.delivery_stats(session)
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
                InlineKeyboardButton("📣 Send", callback_data=f"bcast:send:{draft.id}"),
                InlineKeyboardButton("✖️ Cancel", callback_data=f"bcast:cancel:{draft.id}"),
            ]
        ]
    )
    await reply(
        update,
        f"📣 <b>Preview of a broadcast</b> to {stats.news_recipients:,} subscriber(s):\n\n"
        f"{esc(text)}",
        buttons,
    )


@editors_only
async def broadcast_btn(update: Update, context: BotContext) -> None:
    """Send or cancel a previewed broadcast; a second press sends nothing more."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    if len(parts) != 3 or small_int(parts[2]) is None:
        await query.answer("This button has expired.")
        return
    verb, draft_id = parts[1], small_int(parts[2]) or 0
    status = DraftStatus.SAVED if verb == "send" else DraftStatus.CANCELLED
    async with context.session() as session:
        draft = await drafts.get_draft(session, draft_id=draft_id)
        if draft is not None and draft.action != BROADCAST:
            # Not a broadcast's draft (a forged button): leave an editor's pending fact alone.
            await query.answer("This button has expired.")
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
        await query.answer("Already handled; nothing more was sent.", show_alert=True)
        return
    message = query.message if isinstance(query.message, Message) else None
    if broadcast_id is None:
        await query.answer("Cancelled.")
        if message:
            await message.edit_text("✖️ Broadcast cancelled — nothing was sent.")
        return
    await query.answer("Sending…")
    if message:
        await message.edit_text(f"📣 Broadcast {broadcast_id} is being sent…")
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
                f"📣 Broadcast {broadcast_id} done: {stats.sent:,} sent, {stats.failed:,} failed, "
                f"{stats.blocked:,} blocked, in {stats.seconds:.1f} s.",
            )

    context.application.create_task(deliver(), update=update, name=f"broadcast {broadcast_id}")


@editors_only
async def stats_cmd(update: Update, context: BotContext) -> None:
    """Subscribers active and inactive, and how the last briefing run went."""
    async with context.session() as session:
        stats = await broadcasts.delivery_stats(session)
    lines = [
        "📊 <b>Briefing statistics</b>",
        f"Chats that used the bot: {stats.chats:,}",
        f"Subscribed and reachable: {stats.subscribed_active:,}",
        f"Subscribed but blocked or gone: {stats.subscribed_inactive:,}",
    ]
    run = stats.last_run
    if run is None or run.finished_at is None:
        lines.append("No briefing run has finished yet.")
    else:
        took = (run.finished_at - run.started_at).total_seconds()
        lines.append(
            f"Last briefing run ({format_date(run.started_at.date())} {run.started_at:%H:%M} UTC): "
            f"{run.sent:,} sent, {run.failed:,} failed, {run.blocked:,} blocked, "
            f"{run.unknown:,} in doubt, in {took:.1f} s."
        )
    await reply(update, "\n".join(lines))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /broadcast, its buttons, and /stats."""
    app.add_handler(CommandHandler("broadcast", broadcast_cmd))
    app.add_handler(CallbackQueryHandler(broadcast_btn, pattern=r"^bcast:"))
    app.add_handler(CommandHandler("stats", stats_cmd))
