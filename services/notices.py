"""Sending correction notices: one message per chat and hour, once, through the ledger.

A notice is queued (store/notices.py) when an editor corrects or retracts a fact that chats
were sent in a briefing; when its hour is over, the next sweep (or `send-briefings`) sends each
chat one message with every notice of that hour, replying to the message that carried the fact.
A forum topic's notices go into that topic, replying to its own briefing. The ledger row (chat,
topic, notice:HOUR) makes it at most once, across restarts and replicas.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator

from telegram import Bot

from core.i18n import using_language
from core.settings import Settings
from render.notices import notice_text
from services.delivery import WORKER, RunStats, deliver
from services.ledger_writes import ledger_call
from services.sending import Outgoing
from store import ledger, notices
from store.db import SessionFactory
from store.models import utcnow

log = logging.getLogger(__name__)

MAX_PASSES = 24  # a chat with notices of several past hours gets one message per hour


async def send_due_notices(
    bot: Bot,
    sessions: SessionFactory,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    worker: str = WORKER,
) -> RunStats:
    """Send every chat (and topic) its notices of each finished hour not yet sent, once."""
    cutoff = now or utcnow()
    total = RunStats()

    async def compose(target: ledger.Target) -> Outgoing:
        key = keys[target.recipient]
        async with sessions() as session:
            items = await notices.notice_items(
                session, chat_id=target.chat_id, key=key, thread_id=target.thread_id
            )
        replies = [i.message_id for i in items if i.message_id is not None]
        with using_language(target.language):
            text = notice_text(items, settings)
        return Outgoing([text], reply_to=max(replies) if replies else None)

    await ledger_call("Forgetting old notices", lambda: notices.forget_old(sessions, now=cutoff))
    keys: dict[ledger.Recipient, str] = {}
    for _ in range(MAX_PASSES):
        # Nothing due (the common case): no run is started or recorded.
        if not await ledger_call(
            "Reading notices", lambda: notices.due_notices(sessions, now=cutoff, batch=1)
        ):
            break
        found = False

        async def due() -> AsyncIterator[list[tuple[ledger.Target, str]]]:
            nonlocal found
            after: ledger.Recipient | None = None
            while True:
                batch = await ledger_call(
                    "Reading notices",
                    lambda: notices.due_notices(sessions, now=cutoff, after=after),  # noqa: B023
                )
                if not batch:
                    return
                found = True
                keys.update((t.recipient, key) for t, key in batch)
                yield batch
                after = batch[-1][0].recipient

        stats = await deliver(
            bot,
            sessions,
            kind="notice",
            batches=due(),
            compose=compose,
            briefed_until=None,
            worker=worker,
            settings=settings,
        )
        for name in ("sent", "failed", "blocked", "unknown", "retrying", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        if not found or stats.sent + stats.failed + stats.blocked + stats.unknown == 0:
            break
    total.finished = utcnow()
    if total.sent or total.failed or total.unknown:
        log.info(
            "Correction notices: %s sent, %s failed, %s to retry, %s in doubt",
            total.sent,
            total.failed,
            total.retrying,
            total.unknown,
        )
    return total
