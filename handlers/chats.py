"""Where an update was asked: its chat and, in a forum supergroup, its topic."""

from __future__ import annotations

from telegram import Message, Update


def thread_of(update: Update) -> int:
    """The forum topic an update was asked in (its message_thread_id), 0 outside topics."""
    message = update.effective_message
    if update.callback_query is not None and isinstance(update.callback_query.message, Message):
        message = update.callback_query.message
    if message is None or not message.is_topic_message or message.message_thread_id is None:
        return 0
    return message.message_thread_id
