"""The application error handler: log every escaped exception, tell the user briefly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from core.context import BotContext
from core.i18n import N_, _
from handlers.chats import thread_of
from store.outage import away_reason, database_away

log = logging.getLogger("bot.errors")

SORRY = N_("Sorry, something went wrong on my side. Please try again in a minute.")
BUSY = N_("The database is busy right now. Please try again in a minute.")
CONFLICT = (
    "Telegram answered 409 Conflict: another process is already receiving this bot's updates "
    "(a second polling instance, or a webhook is set). Stopping."
)
EXIT_CONFLICT = 3


async def error_handler(update: object, context: BotContext) -> None:
    """Log the error with the update's chat and text (the log filter scrubs the token)."""
    error = context.error
    if isinstance(error, Conflict):
        # Two pollers on one token fight forever; stop with one clear line instead.
        if not context.bot_data.extra.get("exit_code"):
            log.error(CONFLICT)
            context.bot_data.extra["exit_code"] = EXIT_CONFLICT
            context.application.stop_running()
        return
    where = ""
    if isinstance(update, Update):
        chat = update.effective_chat
        text = update.effective_message.text if update.effective_message else None
        where = f" chat={chat.id if chat else '?'} text={(text or '')[:80]!r}"
    if isinstance(error, (NetworkError, TimedOut, RetryAfter, Forbidden)):
        log.warning("Telegram API problem%s: %s", where, error)
        return
    apology = SORRY
    if error is not None and database_away(error):
        # Locked by another process, restarting, unreachable: one line, not a traceback.
        log.warning("Database unavailable%s: %s", where, away_reason(error))
        apology = BUSY
    else:
        log.error("Unhandled error%s", where, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(_(apology)[:200])
            else:
                await context.bot.send_message(
                    update.effective_chat.id,
                    _(apology),
                    message_thread_id=thread_of(update) or None,
                )
        except Exception:  # the apology must never raise into PTB's loop
            log.warning("Could not tell the user about the error", exc_info=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire the error handler."""
    app.add_error_handler(error_handler)
