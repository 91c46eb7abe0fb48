"""The briefing schedule: one daily JobQueue job per (time, zone) slot, rebuilt from the database.

PTB keeps jobs in memory only, so start-up reads every subscribed slot back, schedules it, and
sends what was missed while the bot was down (within BRIEFING_CATCHUP). Jobs take zone-aware
times, so a slot fires at its local time on both sides of a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select
from telegram.ext import Application, Job

from core.context import BotContext, BotData
from services.delivery import resume_broadcasts, send_due_briefings
from services.notices import send_due_notices
from store.models import Subscriber

log = logging.getLogger(__name__)


def slot_name(at: dt.time, zone: str) -> str:
    """The job name of a slot, e.g. briefing 07:30 Europe/London."""
    return f"briefing {at:%H:%M} {zone}"


def schedule_slot(
    app: Application[Any, Any, Any, Any, BotData, Any], at: dt.time, zone: str
) -> Job[Any] | None:
    """Make sure a daily job exists for the slot; returns it (None without a job queue)."""
    queue = app.job_queue
    if queue is None:
        return None
    name = slot_name(at, zone)
    existing = queue.get_jobs_by_name(name)
    if existing:
        return existing[0]
    local = at.replace(tzinfo=ZoneInfo(zone))
    return queue.run_daily(briefing_job, time=local, name=name, data=(at.isoformat(), zone))


async def briefing_job(context: BotContext) -> None:
    """Send the briefings of one slot that are due now."""
    job = context.job
    assert job is not None and isinstance(job.data, tuple)
    at, zone = dt.time.fromisoformat(job.data[0]), str(job.data[1])
    sessions = context.bot_data.sessions
    assert sessions is not None
    await send_due_briefings(context.bot, sessions, context.settings, slot=(at, zone))


async def catch_up_job(context: BotContext) -> None:
    """Send what is due and not yet sent: missed briefings, retries, interrupted broadcasts,
    and the correction notices of the hours that are over."""
    sessions = context.bot_data.sessions
    assert sessions is not None
    await send_due_briefings(context.bot, sessions, context.settings)
    await resume_broadcasts(context.bot, sessions, context.settings)
    await send_due_notices(context.bot, sessions, context.settings)


async def schedule_all(app: Application[Any, Any, Any, Any, BotData, Any]) -> int:
    """Rebuild every slot job from the database and queue a catch-up run; returns the slots."""
    sessions = app.bot_data.sessions
    settings = app.bot_data.settings
    if app.job_queue is None or sessions is None or settings is None:
        return 0
    # On the table, not the model: an ORM statement would configure all the mappers before
    # polling starts (bot.app does that in the background).
    subscribers: Any = Subscriber.__table__  # type: ignore[attr-defined]
    async with sessions() as session:
        rows = await session.exec(
            # Paused (blocked) chats' slots too: /start reactivates them without a restart.
            select(subscribers.c.briefing_time, subscribers.c.timezone)
            .where(subscribers.c.subscribed.is_(True))
            .distinct()
        )
        slots = {(at or settings.briefing_time, zone or settings.timezone) for at, zone in rows}
    for at, zone in slots:
        schedule_slot(app, at, zone)
    # A sweep at start-up and then every BRIEFING_SWEEP: it sends what was missed while the bot
    # was down, retries what failed, takes over what a dead replica left, resumes broadcasts,
    # and sends the correction notices of each hour once it is over.
    app.job_queue.run_repeating(
        catch_up_job,
        interval=settings.briefing_sweep.total_seconds(),
        first=1,
        name="briefing catch-up",
    )
    log.info("Scheduled %d briefing slot(s)", len(slots))
    return len(slots)


def next_delivery(at: dt.time, zone: str, *, now: dt.datetime, sent_today: bool) -> dt.datetime:
    """When the next briefing of a slot goes out, as a local aware datetime."""
    tz = ZoneInfo(zone)
    local_now = now.astimezone(tz)
    today = dt.datetime.combine(local_now.date(), at, tzinfo=tz)
    if today > local_now and not sent_today:
        return today
    return dt.datetime.combine(local_now.date() + dt.timedelta(days=1), at, tzinfo=tz)
