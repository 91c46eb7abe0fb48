"""Subscriptions and the scheduled morning briefing, delivered exactly once at Telegram's pace.

Four layers, each under a clock the test controls:

* commands through the real Application and the strict in-process fake (handlers read a frozen
  `utcnow`; the scheduler is paused so nothing fires on the machine's own clock);
* the schedule: APScheduler's trigger of each job, asked for its next fire time around the 2025
  daylight-saving changes, and checked against the ledger's idea of "due";
* the briefing's content: facts stored with explicit timestamps around `since`;
* delivery over HTTP (fake_telegram/server.py) with the rate limiter on, 429s and 403s injected, a
  `python -m bot send-briefings` killed with SIGKILL mid-run, and concurrent runs sharing work.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import signal
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import col, select
from telegram import Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

import handlers.subscriptions as subscription_handlers
from bot.app import build_application, close_store, open_store
from core.context import BriefingApp
from core.settings import Settings
from fake_telegram import (
    LocalBotApi,
    LocalRequest,
    SentMessage,
    telegram_html_to_plain,
    utf16_len,
)
from fake_telegram.server import FakeTelegramServer
from kinds.base import FactKind
from kinds.digest import changes_between
from kinds.update import NewsUpdate
from render.briefing import briefing_messages
from services import delivery, sending
from services.delivery import briefing_key, due_day, send_due_briefings
from services.scheduling import briefing_job, catch_up_job, schedule_slot, slot_name
from store import drafts, ledger
from store.db import SessionFactory, create_engine, make_session_factory, upgrade_schema
from store.models import (
    Broadcast,
    Delivery,
    DeliveryRun,
    Draft,
    DraftStatus,
    Issue,
    Party,
    Source,
    Subscriber,
    utcnow,
)
from tests import factories
from tests.conftest import Chat, Harness, make_settings, migrated, start_harness
from tests.support import PostingBot, fake_env, finish, spawn_bot, wait_for

UTC = dt.UTC
KYIV, LONDON, NEW_YORK = "Europe/Kyiv", "Europe/London", "America/New_York"
TELEGRAM_LIMIT = 4096
ADMIN = 42  # make_settings' editor
# The frozen "now" of the command tests: Sat 29 Mar 2025, 12:00 in Kyiv, 10:00 in London,
# 06:00 in New York; Europe moves its clocks forward the next night.
NOW = dt.datetime(2025, 3, 29, 10, 0, tzinfo=UTC)
TITLE = "☀️ Morning briefing"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A UTC instant."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


# ==================================================================================== arranging


async def add_subscriber(
    sessions: SessionFactory,
    chat_id: int,
    *,
    at: dt.time = dt.time(8, 0),
    zone: str = KYIV,
    subscribed: bool = True,
    active: bool = True,
    quiet: bool = False,
    last_briefing_at: dt.datetime | None = None,
    thread_id: int = 0,
    chat_type: str = "private",
) -> None:
    """Store a subscriber row as /subscribe would leave it (in a forum topic: `thread_id`)."""
    async with sessions() as session:
        session.add(
            Subscriber(
                chat_id=chat_id,
                thread_id=thread_id,
                chat_type=chat_type,
                subscribed=subscribed,
                active=active,
                quiet=quiet,
                briefing_time=at,
                timezone=zone,
                last_briefing_at=last_briefing_at,
            )
        )
        await session.commit()


async def subscriber(sessions: SessionFactory, chat_id: int) -> Subscriber:
    """A subscriber row, read fresh."""
    async with sessions() as session:
        row = await session.get(Subscriber, (chat_id, 0))
        assert row is not None, chat_id
        return row


async def ledger_rows(sessions: SessionFactory, key: str) -> dict[int, str]:
    """chat id -> status of every ledger row with `key`."""
    async with sessions() as session:
        rows = (await session.exec(select(Delivery).where(Delivery.key == key))).all()
        return {r.chat_id: r.status for r in rows}


async def all_ledger_rows(sessions: SessionFactory) -> list[Delivery]:
    """Every ledger row."""
    async with sessions() as session:
        return list((await session.exec(select(Delivery).order_by(col(Delivery.id)))).all())


def briefings(api: LocalBotApi, chat_id: int | None = None) -> list[SentMessage]:
    """The briefings the fake delivered (first messages only, not continuations)."""
    return [
        m
        for m in api.sent(chat_id)
        if not m.edited and m.plain.startswith(TITLE) and "(continued)" not in m.plain
    ]


def got_briefing(api: LocalBotApi, chat_id: int) -> Callable[[], bool]:
    """A check for wait_for: has `chat_id` got a briefing yet?"""
    return lambda: bool(briefings(api, chat_id))


def briefing_counts(api: LocalBotApi) -> Counter[int]:
    """chat id -> how many briefings it got."""
    return Counter(m.chat_id for m in briefings(api))


async def add_source(session: Any, name: str = "Reuters", url: str | None = None) -> int:
    """Store a source; returns its id."""
    source = Source(name=name, url=url or f"https://example.org/{name.lower()}")
    session.add(source)
    await session.flush()
    assert source.id is not None
    return source.id


async def party_and_issue(session: Any) -> tuple[Party, Party, Issue]:
    """Russia, Ukraine and the territory issue."""
    ru = Party(key="ru", name="Russia")
    ua = Party(key="ua", name="Ukraine")
    issue = Issue(key="territory", name="Territory")
    session.add_all([ru, ua, issue])
    await session.flush()
    return ru, ua, issue


@pytest.fixture
def store(migrated_store: SessionFactory) -> SessionFactory:
    """conftest's migrated, empty store (SQLite and, with TEST_POSTGRES_URL, PostgreSQL)."""
    return migrated_store


@pytest.fixture
async def sqlite_store(sqlite_url: str) -> AsyncIterator[SessionFactory]:
    """A migrated, empty SQLite store."""
    async for sessions in migrated(sqlite_url):
        yield sessions


# ==================================================================================== commands


def hold_the_clock(app: BriefingApp) -> None:
    """Nothing fires on the machine's clock: drop start-up catch-up, pause the scheduler."""
    assert app.job_queue is not None
    for job in app.job_queue.get_jobs_by_name("briefing catch-up"):
        job.schedule_removal()
    app.job_queue.scheduler.pause()


@pytest.fixture
async def bot(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Harness]:
    """The unseeded bot with its handlers' clock frozen at NOW."""
    monkeypatch.setattr(subscription_handlers, "utcnow", lambda: NOW)
    async for harness in start_harness(make_settings(sqlite_url, seed_on_empty=False)):
        hold_the_clock(harness.app)
        yield harness
        assert harness.errors == [], harness.errors


def next_fire(harness: Harness | BriefingApp, name: str, now: dt.datetime) -> dt.datetime:
    """When APScheduler would next run the job called `name`, seen from `now`."""
    app = harness.app if isinstance(harness, Harness) else harness
    assert app.job_queue is not None
    jobs = app.job_queue.get_jobs_by_name(name)
    assert len(jobs) == 1, [j.name for j in app.job_queue.jobs()]
    fire: dt.datetime | None = jobs[0].job.trigger.get_next_fire_time(None, now)
    assert fire is not None
    # As a UTC instant: Python never calls a local time in a DST gap or fold equal to another
    # zone's datetime, so compare instants.
    return fire.astimezone(UTC)


def job_names(harness: Harness) -> set[str]:
    """The names of the scheduled briefing slots."""
    assert harness.app.job_queue is not None
    names = {j.name or "" for j in harness.app.job_queue.jobs()}
    return {n for n in names if n.startswith("briefing ") and n != "briefing catch-up"}


CITY = {KYIV: "Kyiv", LONDON: "London", NEW_YORK: "New York"}
SUBSCRIBE_CASES = [
    # 12:00 in Kyiv: today's 08:00 is gone; tomorrow is the first day of summer time (UTC+3).
    ("", "08:00", KYIV, "Sun 30 Mar 2025", utc(2025, 3, 30, 5, 0)),
    ("7:30", "07:30", KYIV, "Sun 30 Mar 2025", utc(2025, 3, 30, 4, 30)),
    ("8am Europe/Kyiv", "08:00", KYIV, "Sun 30 Mar 2025", utc(2025, 3, 30, 5, 0)),
    ("8", "08:00", KYIV, "Sun 30 Mar 2025", utc(2025, 3, 30, 5, 0)),
    # 10:00 in London: tomorrow is the first day of British Summer Time (UTC+1).
    ("07:00 London", "07:00", LONDON, "Sun 30 Mar 2025", utc(2025, 3, 30, 6, 0)),
    ("7:30 london", "07:30", LONDON, "Sun 30 Mar 2025", utc(2025, 3, 30, 6, 30)),
    # 06:00 in New York (on summer time since 9 March, UTC-4): 06:45 is still to come today.
    ("6:45 New York", "06:45", NEW_YORK, "Sat 29 Mar 2025", utc(2025, 3, 29, 10, 45)),
    ("9pm nyc", "21:00", NEW_YORK, "Sat 29 Mar 2025", utc(2025, 3, 30, 1, 0)),
]


@pytest.mark.parametrize(("args", "at", "zone", "next_day", "fires_at"), SUBSCRIBE_CASES)
async def test_subscribe_confirms_stores_and_schedules_the_slot(
    bot: Harness,
    args: str,
    at: str,
    zone: str,
    next_day: str,
    fires_at: dt.datetime,
) -> None:
    answer = await bot.chat(5001).ask(f"/subscribe {args}".strip())
    assert f"a briefing every morning at {at} {CITY[zone]} time ({zone})" in answer.plain
    assert f"Next one: {next_day}, {at}." in answer.plain
    row = await subscriber(bot.sessions, 5001)
    assert (row.subscribed, row.active, row.quiet) == (True, True, False)
    assert (f"{row.briefing_time:%H:%M}", row.timezone) == (at, zone)
    name = f"briefing {at} {zone}"
    assert job_names(bot) == {name}
    assert next_fire(bot, name, NOW) == fires_at


async def test_bad_subscribe_input_gets_a_clear_reply_and_changes_nothing(bot: Harness) -> None:
    chat = bot.chat(5001)
    # Nothing stored yet: a bad first /subscribe subscribes no one.
    answer = await chat.ask("/subscribe 25:99")
    assert "couldn't read “25:99” as a time of day" in answer.plain
    assert "/subscribe 7:30" in answer.plain
    async with bot.sessions() as session:
        assert await session.get(Subscriber, (5001, 0)) is None
    assert job_names(bot) == set()

    await chat.ask("/subscribe 07:30 London")
    before = (await subscriber(bot.sessions, 5001)).model_dump()
    for bad, expected in (
        ("/subscribe 25:99", "couldn't read “25:99” as a time of day"),
        ("/subscribe 24:00 London", "couldn't read “24:00”"),
        ("/subscribe 99", "couldn't read “99”"),
        ("/subscribe 8am Atlantis", "I don't know the time zone “Atlantis”"),
        ("/subscribe Atlantis", "I don't know the time zone “Atlantis”"),
        ("/subscribe tomorrow", "I don't know the time zone “tomorrow”"),
        ("/settings time 25:99", "couldn't read “25:99”"),
        ("/settings time tomorrow", "couldn't read “tomorrow”"),
        ("/settings zone Atlantis", "I don't know the time zone “Atlantis”"),
        ("/settings colour blue", "I can change time, zone, quiet, notices or topics."),
    ):
        answer = await chat.ask(bad)
        assert expected in answer.plain, (bad, answer.plain)
        assert "✅" not in answer.plain
        if "time zone" in expected:
            assert "Kyiv, London, New York, Europe/Berlin, UTC" in answer.plain
    assert (await subscriber(bot.sessions, 5001)).model_dump() == before
    assert job_names(bot) == {"briefing 07:30 Europe/London"}


async def test_the_old_name_europe_kiev_is_stored_and_shown_as_kyiv(bot: Harness) -> None:
    answer = await bot.chat(5001).ask("/subscribe 7:30 Europe/Kiev")
    assert "at 07:30 Kyiv time (Europe/Kyiv)." in answer.plain, answer.plain
    assert (await subscriber(bot.sessions, 5001)).timezone == KYIV


async def test_unsubscribe_keeps_the_settings_and_subscribe_resumes_them(bot: Harness) -> None:
    chat = bot.chat(5001)
    await chat.ask("/subscribe 6:45 New York")
    await chat.ask("/settings quiet on")
    answer = await chat.ask("/unsubscribe")
    assert "Unsubscribed" in answer.plain and "/subscribe resumes" in answer.plain
    row = await subscriber(bot.sessions, 5001)
    assert row.subscribed is False
    assert (row.briefing_time, row.timezone, row.quiet) == (dt.time(6, 45), NEW_YORK, True)
    again = await chat.ask("/unsubscribe")
    assert "You are not subscribed" in again.plain
    settings = await chat.ask("/settings")
    assert "Status: not subscribed" in settings.plain

    resumed = await chat.ask("/subscribe")
    assert "06:45 New York time (America/New_York)" in resumed.plain
    assert "Next one: Sat 29 Mar 2025, 06:45." in resumed.plain
    row = await subscriber(bot.sessions, 5001)
    assert (row.subscribed, row.briefing_time, row.timezone, row.quiet) == (
        True,
        dt.time(6, 45),
        NEW_YORK,
        True,
    )


async def test_settings_show_and_change_time_zone_and_quiet_mode(bot: Harness) -> None:
    chat = bot.chat(5001)
    refused = await chat.ask("/settings time 7:00")
    assert "Subscribe first" in refused.plain
    await chat.ask("/subscribe")
    shown = await chat.ask("/settings")
    assert "Status: subscribed" in shown.plain
    assert "Time: 08:00 Kyiv time (Europe/Kyiv)" in shown.plain
    assert "Quiet (no notification sound): off" in shown.plain
    assert [label for row in shown.buttons for label, _ in row] == [
        "🔕 Quiet mode",
        "📨 Correction notices off",
    ]

    changed = await chat.ask("/settings time 6:15")
    assert "Time: 06:15 Kyiv time (Europe/Kyiv)" in changed.plain
    row = await subscriber(bot.sessions, 5001)
    assert (row.briefing_time, row.timezone) == (dt.time(6, 15), KYIV)
    assert next_fire(bot, "briefing 06:15 Europe/Kyiv", NOW) == utc(2025, 3, 30, 3, 15)

    changed = await chat.ask("/settings zone London")
    assert "Time: 06:15 London time (Europe/London)" in changed.plain
    row = await subscriber(bot.sessions, 5001)
    assert (row.briefing_time, row.timezone) == (dt.time(6, 15), LONDON)
    assert next_fire(bot, "briefing 06:15 Europe/London", NOW) == utc(2025, 3, 30, 5, 15)

    quiet = await chat.ask("/settings quiet on")
    assert "Quiet (no notification sound): on" in quiet.plain
    assert (await subscriber(bot.sessions, 5001)).quiet is True
    pressed = await chat.press(quiet, "Turn sound on")
    assert len(pressed) == 1 and pressed[0].edited
    assert "Quiet (no notification sound): off" in pressed[0].plain
    assert (await subscriber(bot.sessions, 5001)).quiet is False
    pressed = await chat.press(pressed[0], "Quiet mode")
    assert "Quiet (no notification sound): on" in pressed[0].plain
    assert (await subscriber(bot.sessions, 5001)).quiet is True


async def test_next_delivery_skips_today_when_todays_briefing_went_out(bot: Harness) -> None:
    chat = bot.chat(5001)
    await chat.ask("/subscribe 8:00 Kyiv")
    async with bot.sessions() as session:
        session.add(Delivery(chat_id=5001, key=briefing_key(dt.date(2025, 3, 29)), status="sent"))
        await session.commit()
    answer = await chat.ask("/subscribe 18:00")
    # 18:00 is still ahead today in Kyiv, but today's briefing has already been delivered.
    assert "Next one: Sun 30 Mar 2025, 18:00." in answer.plain
    assert next_fire(bot, "briefing 18:00 Europe/Kyiv", NOW) == utc(2025, 3, 29, 16, 0)


async def test_brief_shows_what_the_next_briefing_would_say_now(bot: Harness) -> None:
    chat = bot.chat(5001)
    empty = await chat.ask("/brief")
    assert empty.plain.startswith(f"{TITLE} · Sat 29 Mar 2025")
    assert "No new developments since Fri 28 Mar 2025 12:00 (Kyiv time)." in empty.plain

    async with bot.sessions() as session:
        src = await add_source(session)
        for created, headline in (
            (NOW - dt.timedelta(days=3), "Old news the reader already had"),
            (NOW - dt.timedelta(hours=20), "Delegations land in Istanbul"),
            (NOW - dt.timedelta(hours=2), "Talks resume on Monday"),
        ):
            await factories.create_update(
                session,
                date=created.date(),
                headline=headline,
                source_ids=[src],
                created_at=created,
            )
        await session.commit()

    first = await chat.ask("/brief")  # no subscription: the last 24 hours
    assert "What is new since Fri 28 Mar 2025 12:00 (Kyiv time)" in first.plain
    assert "Delegations land in Istanbul" in first.plain and "Talks resume" in first.plain
    assert "Old news" not in first.plain

    await chat.ask("/subscribe")
    async with bot.sessions() as session:
        row = await session.get(Subscriber, (5001, 0))
        assert row is not None
        row.last_briefing_at = NOW - dt.timedelta(hours=5)
        session.add(row)
        await session.commit()
    since_last = await chat.ask("/brief")
    assert "What is new since Sat 29 Mar 2025 07:00 (Kyiv time)" in since_last.plain
    assert "Talks resume on Monday" in since_last.plain
    assert "Delegations land" not in since_last.plain
    assert await ledger_rows(bot.sessions, briefing_key(dt.date(2025, 3, 29))) == {}


async def wait_for_reply(harness: Harness, chat_id: int, text: str) -> SentMessage:
    """The bot's message in `chat_id` containing `text`, once it has been sent."""

    def found() -> bool:
        return any(text in m.plain for m in harness.api.sent(chat_id))

    await wait_for(found, f"{text!r} in chat {chat_id}")
    return next(m for m in harness.api.sent(chat_id) if text in m.plain)


async def test_a_broadcast_with_no_one_to_reach_is_refused_before_a_preview(bot: Harness) -> None:
    await bot.chat(5101).ask("/subscribe")
    await bot.chat(5101).ask("/unsubscribe")
    answer = await bot.chat(ADMIN).ask("/broadcast Talks resume on Monday")
    assert answer.plain == (
        "No chat receives news yet (readers join with /subscribe), so a broadcast would reach "
        "no one: nothing was prepared."
    )
    assert answer.buttons == []
    async with bot.sessions() as session:
        assert (await session.exec(select(Draft))).all() == []


async def test_broadcast_previews_then_sends_once_to_every_reachable_subscriber(
    bot: Harness,
) -> None:
    for chat_id in (5001, 5002, 5003, 5004):
        await bot.chat(chat_id).ask("/subscribe")
    await bot.chat(5004).ask("/unsubscribe")
    await bot.chat(5005).ask("/start")  # talked to the bot, never subscribed
    await bot.chat(5006).ask("/subscribe")
    async with bot.sessions() as session:  # Telegram said 403 twice: paused
        row = await session.get(Subscriber, (5006, 0))
        assert row is not None
        row.active = False
        session.add(row)
        await session.commit()
    bot.api.clear()

    admin = bot.chat(ADMIN)
    usage = await admin.ask("/broadcast")
    assert "Usage: /broadcast TEXT" in usage.plain
    text = "Ceasefire talks resume <Monday> & more"
    preview = await admin.ask(f"/broadcast {text}")
    assert "Preview of a broadcast to 3 subscribers:" in preview.plain
    assert text in preview.plain
    assert [label for row in preview.buttons for label, _ in row] == ["📣 Send", "✖️ Cancel"]
    assert bot.api.sent(5001) == []  # nothing is sent before Send

    pressed = await admin.press(preview, "Send")
    assert pressed[0].edited and "Broadcast 1 is being sent" in pressed[0].plain
    done = await wait_for_reply(bot, ADMIN, "Broadcast 1 done")
    assert "3 sent, 0 failed, 0 blocked" in done.plain
    for chat_id in (5001, 5002, 5003):
        assert [m.plain for m in bot.api.sent(chat_id)] == [text], chat_id
        assert bot.api.sent(chat_id)[0].parse_mode == "HTML"
    for chat_id in (5004, 5005, 5006):
        assert bot.api.sent(chat_id) == [], chat_id
    assert await ledger_rows(bot.sessions, "broadcast:1") == {
        5001: "sent",
        5002: "sent",
        5003: "sent",
    }

    # A second press (a double tap before the edit arrived, or another replica): nothing more.
    count = len(bot.api.sent())
    [send_data] = [d for d in preview.callback_data if ":send:" in d]
    raw = bot.api.make_callback(
        preview.message_id, send_data, chat_id=ADMIN, user_id=ADMIN, check_button=False
    )
    await bot.app.process_update(Update.de_json(raw, bot.app.bot))
    assert bot.api.callback_answers[-1].text == "Already handled; nothing more was sent."
    await asyncio.sleep(0.05)
    assert len(bot.api.sent()) == count
    async with bot.sessions() as session:
        assert len((await session.exec(select(Broadcast))).all()) == 1

    # Cancel sends nothing.
    second = await admin.ask("/broadcast Never mind")
    cancelled = await admin.press(second, "Cancel")
    assert "Broadcast cancelled — nothing was sent." in cancelled[0].plain
    await asyncio.sleep(0.05)
    assert all(m.plain != "Never mind" for m in bot.api.sent())


async def test_a_forged_broadcast_button_cannot_spend_another_draft(bot: Harness) -> None:
    admin = bot.chat(ADMIN)
    preview = await admin.ask("/broadcast Hello")
    async with bot.sessions() as session:
        other = await drafts.create_draft(
            session,
            actor_id=ADMIN,
            chat_id=ADMIN,
            action="create",
            kind=FactKind.UPDATE,
            payload={"headline": "An editor's unsaved update"},
        )
    raw = bot.api.make_callback(
        preview.message_id,
        f"bcast:send:{other.id}",
        chat_id=ADMIN,
        user_id=ADMIN,
        check_button=False,
    )
    await bot.app.process_update(Update.de_json(raw, bot.app.bot))
    assert bot.api.callback_answers[-1].text == "This button has expired."
    async with bot.sessions() as session:
        draft = await session.get(Draft, other.id)
        assert draft is not None and draft.status == DraftStatus.PENDING.value
        assert (await session.exec(select(Broadcast))).all() == []


async def test_non_editors_are_refused_broadcast_and_stats(bot: Harness) -> None:
    reader = bot.chat(5001)
    for command in ("/broadcast Hello everyone", "/stats"):
        answer = await reader.ask(command)
        assert answer.plain == "This command is for editors."
    async with bot.sessions() as session:
        assert (await session.exec(select(Draft))).all() == []
    # An editor's preview pressed by someone else in a group: refused, nothing sent.
    await bot.chat(5002).ask("/subscribe")
    preview = await bot.chat(ADMIN).ask("/broadcast Hello")
    intruder = Chat(bot, ADMIN, user_id=777)
    await intruder.press(preview, "Send")
    assert bot.api.callback_answers[-1].text == "This command is for editors."
    async with bot.sessions() as session:
        assert (await session.exec(select(Broadcast))).all() == []


async def test_stats_show_subscribers_and_the_last_run(bot: Harness) -> None:
    admin = bot.chat(ADMIN)
    before = await admin.ask("/stats")
    assert "No briefing run has finished yet." in before.plain
    for chat_id in (5001, 5002, 5003, 5004):
        await bot.chat(chat_id).ask("/subscribe 11:00")  # Kyiv; NOW is 12:00 there: due
    await bot.chat(5005).ask("/start")
    bot.api.block_chat(5003)
    settings = bot.app.bot_data.settings
    assert settings is not None
    stats = await send_due_briefings(bot.app.bot, bot.sessions, settings, now=NOW)
    assert (stats.sent, stats.failed, stats.blocked, stats.unknown) == (3, 0, 1, 0)
    await send_due_briefings(bot.app.bot, bot.sessions, settings, now=NOW + dt.timedelta(days=1))
    assert (await subscriber(bot.sessions, 5003)).active is False  # refused twice

    shown = await admin.ask("/stats")
    assert "Chats that used the bot: 5" in shown.plain
    assert "Subscribed and reachable: 3" in shown.plain
    assert "Subscribed but blocked or gone: 1" in shown.plain
    # The last run: the next morning, when 5003 refused for the second time.
    assert re.search(r"3 sent, 0 failed, 1 blocked, 0 in doubt, in \d+\.\d s\.", shown.plain)


# ---------------------------------------------------------------- start-up, jobs, catch-up


def _local_minus(zone: str, minutes: int, now: dt.datetime | None = None) -> dt.time:
    """The local time in `zone` `minutes` before `now` (the real now), to the minute."""
    local = (now or utcnow()).astimezone(ZoneInfo(zone)) - dt.timedelta(minutes=minutes)
    return local.time().replace(second=0, microsecond=0)


async def test_startup_rebuilds_the_schedule_and_catches_up_within_the_window(
    sqlite_url: str,
) -> None:
    engine = create_engine(sqlite_url)
    await upgrade_schema(engine)
    sessions = make_session_factory(engine)
    due_at = _local_minus(KYIV, 30)  # missed half an hour ago: sent at start-up
    late_at = _local_minus(LONDON, 4 * 60)  # missed 4 h ago: beyond BRIEFING_CATCHUP
    await add_subscriber(sessions, 1, at=due_at, zone=KYIV)
    await add_subscriber(sessions, 2, at=late_at, zone=LONDON)
    await add_subscriber(sessions, 3, at=dt.time(6, 45), zone=NEW_YORK, active=False)
    await add_subscriber(sessions, 4, at=dt.time(9, 15), zone=KYIV, subscribed=False)
    await engine.dispose()

    async for harness in start_harness(make_settings(sqlite_url, seed_on_empty=False)):
        assert job_names(harness) == {
            slot_name(due_at, KYIV),
            slot_name(late_at, LONDON),
            # A paused chat keeps its slot, so /start brings its briefings back at once.
            "briefing 06:45 America/New_York",
        }
        assert harness.app.job_queue is not None
        assert harness.app.job_queue.get_jobs_by_name("briefing catch-up")
        await wait_for(got_briefing(harness.api, 1), "the catch-up briefing")
        await wait_for_run_finished(harness.sessions)
        assert len(briefings(harness.api, 1)) == 1
        assert briefings(harness.api, 2) == [] and harness.api.sent(3) == []
        assert harness.errors == []


async def wait_for_run_finished(sessions: SessionFactory, runs: int = 1) -> None:
    """Until `runs` briefing runs have recorded their end."""

    async def finished() -> bool:
        async with sessions() as session:
            rows = (
                await session.exec(
                    select(DeliveryRun).where(col(DeliveryRun.finished_at).is_not(None))
                )
            ).all()
            return len(rows) >= runs

    await wait_for(finished, "the delivery run to finish")


async def test_a_slot_job_sends_its_own_slot_only_and_catch_up_sends_the_rest(
    bot: Harness,
) -> None:
    now = utcnow()
    at, other = _local_minus(LONDON, 1, now), _local_minus(LONDON, 2, now)
    await add_subscriber(bot.sessions, 1, at=at, zone=LONDON)
    await add_subscriber(bot.sessions, 2, at=at, zone=LONDON, quiet=True)
    await add_subscriber(bot.sessions, 3, at=other, zone=LONDON)  # due too, other slot
    job = schedule_slot(bot.app, at, LONDON)
    assert job is not None and job.name == slot_name(at, LONDON)
    assert job.callback is briefing_job and job.data == (at.isoformat(), LONDON)
    assert schedule_slot(bot.app, at, LONDON) is job  # one job per slot

    await job.run(bot.app)  # what APScheduler does at the slot's time
    assert briefing_counts(bot.api) == {1: 1, 2: 1}
    assert [m.disable_notification for m in briefings(bot.api, 2)] == [True]
    assert [m.disable_notification for m in briefings(bot.api, 1)] == [False]
    await job.run(bot.app)  # a second firing (e.g. the repeated hour in autumn): nothing
    assert briefing_counts(bot.api) == {1: 1, 2: 1}

    # The start-up catch-up is the same code path without the slot filter.
    assert bot.app.job_queue is not None
    catch_up = bot.app.job_queue.run_once(catch_up_job, when=3600, name="test catch-up")
    await catch_up.run(bot.app)
    catch_up.schedule_removal()
    assert briefing_counts(bot.api) == {1: 1, 2: 1, 3: 1}


# ==================================================================================== schedule


@pytest.fixture
def unstarted_app() -> BriefingApp:
    """An Application whose JobQueue only computes triggers (never started)."""
    return build_application(make_settings("sqlite+aiosqlite://", seed_on_empty=False))


DST_CASES = [
    # Europe moves forward on Sun 30 Mar 2025 at 01:00 UTC, back on Sun 26 Oct at 01:00 UTC.
    (dt.time(8, 0), KYIV, utc(2025, 3, 29, 5, 0), utc(2025, 3, 29, 6, 0)),  # winter: UTC+2
    (dt.time(8, 0), KYIV, utc(2025, 3, 29, 12, 0), utc(2025, 3, 30, 5, 0)),  # summer: UTC+3
    (dt.time(8, 0), KYIV, utc(2025, 3, 30, 5, 30), utc(2025, 3, 31, 5, 0)),
    (dt.time(8, 0), KYIV, utc(2025, 10, 25, 4, 0), utc(2025, 10, 25, 5, 0)),
    (dt.time(8, 0), KYIV, utc(2025, 10, 25, 12, 0), utc(2025, 10, 26, 6, 0)),
    (dt.time(7, 30), LONDON, utc(2025, 3, 29, 6, 0), utc(2025, 3, 29, 7, 30)),  # GMT
    (dt.time(7, 30), LONDON, utc(2025, 3, 29, 12, 0), utc(2025, 3, 30, 6, 30)),  # BST
    (dt.time(7, 30), LONDON, utc(2025, 10, 25, 12, 0), utc(2025, 10, 26, 7, 30)),
    # The US moves forward on Sun 9 Mar 2025 at 07:00 UTC, back on Sun 2 Nov at 06:00 UTC.
    (dt.time(6, 45), NEW_YORK, utc(2025, 3, 8, 6, 0), utc(2025, 3, 8, 11, 45)),  # EST
    (dt.time(6, 45), NEW_YORK, utc(2025, 3, 8, 12, 0), utc(2025, 3, 9, 10, 45)),  # EDT
    (dt.time(6, 45), NEW_YORK, utc(2025, 11, 1, 6, 0), utc(2025, 11, 1, 10, 45)),
    (dt.time(6, 45), NEW_YORK, utc(2025, 11, 1, 12, 0), utc(2025, 11, 2, 11, 45)),
    # 02:30 does not exist on 9 March in New York: it runs at 03:30 EDT, as zoneinfo reads it.
    (dt.time(2, 30), NEW_YORK, utc(2025, 3, 8, 12, 0), utc(2025, 3, 9, 7, 30)),
]


@pytest.mark.parametrize(("at", "zone", "now", "expected"), DST_CASES)
def test_slot_jobs_fire_at_the_local_time_across_dst(
    unstarted_app: BriefingApp, at: dt.time, zone: str, now: dt.datetime, expected: dt.datetime
) -> None:
    schedule_slot(unstarted_app, at, zone)
    fire = next_fire(unstarted_app, slot_name(at, zone), now)
    assert fire == expected  # the exact UTC instant
    # When the job fires, the ledger agrees the briefing of that local day is due.
    settings = unstarted_app.bot_data.settings
    assert settings is not None
    target = ledger.Target(1, False, zone, at, None)
    assert due_day(target, settings, fire) == fire.astimezone(ZoneInfo(zone)).date()
    assert due_day(target, settings, fire - dt.timedelta(seconds=1)) in (
        None,
        fire.astimezone(ZoneInfo(zone)).date() - dt.timedelta(days=1),
    )


@pytest.mark.parametrize(
    ("at", "zone", "start", "utc_hours"),
    [
        (dt.time(8, 0), KYIV, utc(2025, 3, 28, 0, 0), [6, 6, 5, 5]),
        (dt.time(8, 0), KYIV, utc(2025, 10, 24, 0, 0), [5, 5, 6, 6]),
        (dt.time(7, 30), LONDON, utc(2025, 3, 28, 0, 0), [7, 7, 6, 6]),
        (dt.time(6, 45), NEW_YORK, utc(2025, 3, 7, 0, 0), [11, 11, 10, 10]),
        (dt.time(6, 45), NEW_YORK, utc(2025, 10, 31, 0, 0), [10, 10, 11, 11]),
    ],
)
def test_a_slot_fires_once_a_day_at_the_same_local_time_through_a_change(
    unstarted_app: BriefingApp,
    at: dt.time,
    zone: str,
    start: dt.datetime,
    utc_hours: list[int],
) -> None:
    schedule_slot(unstarted_app, at, zone)
    assert unstarted_app.job_queue is not None
    trigger = unstarted_app.job_queue.get_jobs_by_name(slot_name(at, zone))[0].job.trigger
    fires: list[dt.datetime] = []
    previous = None
    now = start
    for _ in utc_hours:
        fire = trigger.get_next_fire_time(previous, now)
        fires.append(fire)
        previous, now = fire, fire
    assert [f.astimezone(ZoneInfo(zone)).time() for f in fires] == [at] * len(utc_hours)
    assert [f.astimezone(UTC).hour for f in fires] == utc_hours
    days = [f.astimezone(ZoneInfo(zone)).date() for f in fires]
    assert days == [days[0] + dt.timedelta(days=i) for i in range(len(days))]


async def test_the_repeated_autumn_hour_fires_twice_but_briefs_once(
    unstarted_app: BriefingApp, sqlite_store: SessionFactory
) -> None:
    # 01:30 happens twice in New York on Sun 2 Nov 2025; APScheduler runs the job both times.
    at = dt.time(1, 30)
    schedule_slot(unstarted_app, at, NEW_YORK)
    assert unstarted_app.job_queue is not None
    trigger = unstarted_app.job_queue.get_jobs_by_name(slot_name(at, NEW_YORK))[0].job.trigger
    # As the scheduler asks: the previous fire time as the trigger gave it, now just after it.
    first = trigger.get_next_fire_time(None, utc(2025, 11, 2, 4, 0))
    second = trigger.get_next_fire_time(first, first.astimezone(UTC) + dt.timedelta(seconds=0.01))
    first, second = first.astimezone(UTC), second.astimezone(UTC)
    assert (first, second) == (utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 6, 30))

    await add_subscriber(sqlite_store, 1, at=at, zone=NEW_YORK)
    api = LocalBotApi()
    settings = make_settings("sqlite+aiosqlite://", seed_on_empty=False)
    async with local_bot(api, settings) as app:
        for fire in (first, second):
            await send_due_briefings(app.bot, sqlite_store, settings, now=fire, slot=(at, NEW_YORK))
    assert briefing_counts(api) == {1: 1}
    assert await ledger_rows(sqlite_store, "briefing:2025-11-02") == {1: "sent"}


@asynccontextmanager
async def local_bot(api: LocalBotApi, settings: Settings) -> AsyncIterator[BriefingApp]:
    """An initialized Application talking to the in-process fake (no store of its own)."""
    app = build_application(settings, request=LocalRequest(api))
    await app.initialize()
    try:
        yield app
    finally:
        await app.shutdown()


# ==================================================================================== content


SINCE = utc(2025, 6, 1, 5, 0)  # Sun 1 Jun 2025, 08:00 in Kyiv: yesterday's briefing
UNTIL = utc(2025, 6, 2, 5, 0)  # Mon 2 Jun 2025, 08:00 in Kyiv: today's


def at_hours(hours: float) -> dt.datetime:
    """An instant relative to SINCE."""
    return SINCE + dt.timedelta(hours=hours)


async def arrange_a_day_of_news(sessions: SessionFactory) -> dict[str, int]:
    """Facts the reader saw yesterday, and what happened to the store since."""
    ids: dict[str, int] = {}
    async with sessions() as session:
        reuters = await add_source(session, "Reuters", "https://www.reuters.com/world/talks")
        ap = await add_source(session, "AP", "https://apnews.com/a?b=1&c=2")
        ru, ua, territory = await party_and_issue(session)

        # Before yesterday's briefing: what the reader was sent.
        old = await factories.create_update(
            session,
            date=dt.date(2025, 5, 31),
            headline="Talks set for Istanbul",
            source_ids=[reuters],
            created_at=at_hours(-20),
        )
        gone = await factories.create_update(
            session,
            date=dt.date(2025, 5, 31),
            headline="Delegation left Moscow",
            source_ids=[reuters],
            created_at=at_hours(-19),
        )
        long_gone = await factories.create_update(
            session,
            date=dt.date(2025, 5, 30),
            headline="Retracted before the last briefing",
            created_at=at_hours(-40),
        )
        stance = await factories.create_position(
            session,
            party=ru,
            issue=territory,
            stance="Ukraine must withdraw from four regions",
            as_of=dt.date(2025, 5, 20),
            source_ids=[reuters],
            created_at=at_hours(-30),
        )
        agreed = await factories.create_exchange(
            session,
            date=dt.date(2025, 5, 31),
            returned=[(ua, 390), (ru, 390)],
            status="agreed",
            source_ids=[ap],
            created_at=at_hours(-10),
        )
        # Since then: new facts, a new stance, an exchange carried out, a correction, a retraction.
        await factories.create_update(
            session,
            date=dt.date(2025, 6, 1),
            headline="Memoranda exchanged",
            summary="Both sides handed over draft memoranda.",
            source_ids=[reuters],
            created_at=at_hours(3),
        )
        await factories.create_update(
            session,
            date=dt.date(2025, 6, 2),
            headline="Second round ends after an hour",
            source_ids=[ap],
            created_at=at_hours(20),
        )
        await factories.create_position(
            session,
            party=ru,
            issue=territory,
            stance="Ukraine must withdraw from all of Donbas",
            as_of=dt.date(2025, 6, 2),
            source_ids=[ap],
            created_at=at_hours(21),
            supersedes=[f"P{stance.id}"],
        )
        await factories.create_exchange(
            session,
            date=dt.date(2025, 6, 2),
            returned=[(ua, 1000), (ru, 1000)],
            status="agreed",
            note="1,000 for 1,000",
            source_ids=[reuters],
            created_at=at_hours(22),
        )
        await factories.create_round(
            session,
            date=dt.date(2025, 6, 2),
            place="Istanbul",
            venue="Ciragan Palace",
            title="Second round",
            outcome="Agreement on exchanges",
            source_ids=[reuters],
            created_at=at_hours(23),
        )
        fleeting = await factories.create_update(
            session,
            date=dt.date(2025, 6, 1),
            headline="Added and withdrawn overnight",
            created_at=at_hours(4),
        )
        await factories.create_update(
            session,
            date=dt.date(2025, 6, 2),
            headline="Filed after the briefing went out",
            created_at=UNTIL + dt.timedelta(minutes=1),
        )
        await session.flush()
        old.headline, old.updated_at = "Talks set for Istanbul on 2 June", at_hours(5)
        agreed.status, agreed.updated_at = "completed", at_hours(6)
        gone.retracted_at = gone.updated_at = at_hours(7)
        gone.retraction_reason = "misattributed"
        long_gone.retracted_at = long_gone.updated_at = at_hours(-2)
        fleeting.retracted_at = fleeting.updated_at = at_hours(8)
        session.add_all([old, agreed, gone, long_gone, fleeting])
        await session.commit()
        for name, row in (("old", old), ("gone", gone), ("stance", stance), ("agreed", agreed)):
            assert row.id is not None
            ids[name] = row.id
    return ids


async def test_the_briefing_after_yesterdays_shows_what_changed(store: SessionFactory) -> None:
    ids = await arrange_a_day_of_news(store)
    async with store() as session:
        digest = await changes_between(session, since=SINCE, until=UNTIL)
    assert not digest.quiet
    assert [c.view.headline for c in digest.section(FactKind.UPDATE)] == [
        "Second round ends after an hour",
        "Memoranda exchanged",
    ]
    positions = digest.section(FactKind.POSITION)
    assert [(c.view.stance, c.previous.stance if c.previous else None) for c in positions] == [
        ("Ukraine must withdraw from all of Donbas", "Ukraine must withdraw from four regions")
    ]
    exchanges = digest.section(FactKind.EXCHANGE)
    assert [(c.view.date, c.view.status, c.fresh) for c in exchanges] == [
        (dt.date(2025, 6, 2), "agreed", True),
        (dt.date(2025, 5, 31), "completed", False),
    ]
    assert [c.view.title for c in digest.section(FactKind.ROUND)] == ["Second round"]
    assert [getattr(view, "headline", None) for _, view in digest.corrected] == [
        "Talks set for Istanbul on 2 June"
    ]
    assert [(r.fact_id, r.label, r.reason) for r in digest.retracted] == [
        (ids["gone"], "Delegation left Moscow", "misattributed")
    ]

    messages = briefing_messages(digest, tz=ZoneInfo(KYIV), today=dt.date(2025, 6, 2))
    assert len(messages) == 1
    html = messages[0]
    plain, entities = telegram_html_to_plain(html)
    lines = plain.splitlines()
    assert lines[0] == f"{TITLE} · Mon 2 Jun 2025"
    assert lines[1] == "What is new since Sun 1 Jun 2025 08:00 (Kyiv time)"
    # Grouped by kind, in this order, newest first within a kind.
    headings = [
        "📰 New updates",
        "🧭 Position changes",
        "🔁 Prisoner exchanges",
        "🤝 Rounds of talks",
        "✏️ Corrections",
        "🗑 Retracted",
    ]
    assert [line for line in lines if line in headings] == headings
    assert plain.index("Second round ends") < plain.index("Memoranda exchanged")
    # The changed stance: old struck through, then the new one.
    assert (
        "Russia on Territory: Ukraine must withdraw from four regions → "
        "Ukraine must withdraw from all of Donbas" in plain
    )
    assert "as of Mon 2 Jun 2025, was Tue 20 May 2025" in plain
    struck = [e for e in entities if e["type"] == "strikethrough"]
    assert len(struck) == 1
    old_stance = "Ukraine must withdraw from four regions"
    assert (
        plain.encode("utf-16-le")[
            struck[0]["offset"] * 2 : (struck[0]["offset"] + struck[0]["length"]) * 2
        ].decode("utf-16-le")
        == old_stance
    )
    # Exchanges: the new one, and the agreed one that was carried out.
    assert "🆕 ⏳ AGREED, NOT YET CARRIED OUT · agreed Mon 2 Jun 2025" in plain
    assert "🔄 Updated: ✅ Completed · Sat 31 May 2025" in plain
    assert "Ciragan Palace" in plain and "Outcome: Agreement on exchanges" in plain
    # The correction and the retraction of facts the reader was sent.
    assert "Corrected:\n📅 Sat 31 May 2025 — Talks set for Istanbul on 2 June" in plain
    assert f"• U{ids['gone']} “Delegation left Moscow” — misattributed" in plain
    # Never shown: withdrawn before yesterday, added and withdrawn since, filed after the run.
    for absent in (
        "Retracted before the last briefing",
        "Added and withdrawn overnight",
        "Filed after the briefing went out",
    ):
        assert absent not in plain
    # Sources are linked.
    links = {e["url"] for e in entities if e["type"] == "text_link"}
    assert {"https://www.reuters.com/world/talks", "https://apnews.com/a?b=1&c=2"} <= links
    assert "&c=2" in html.replace("&amp;", "&")  # the URL's & was escaped in the HTML
    assert utf16_len(plain) <= TELEGRAM_LIMIT


async def test_a_quiet_day_says_so_in_one_line_with_the_latest_headline(
    store: SessionFactory,
) -> None:
    async with store() as session:
        src = await add_source(session, "Reuters")
        await factories.create_update(
            session,
            date=dt.date(2025, 5, 28),
            headline="Older headline",
            source_ids=[src],
            created_at=at_hours(-100),
        )
        await factories.create_update(
            session,
            date=dt.date(2025, 5, 30),
            headline="Most recent headline",
            source_ids=[src],
            created_at=at_hours(-50),
        )
        await session.commit()
        digest = await changes_between(session, since=SINCE, until=UNTIL)
    assert digest.quiet
    [html] = briefing_messages(digest, tz=ZoneInfo(KYIV), today=dt.date(2025, 6, 2))
    plain, _ = telegram_html_to_plain(html)
    assert plain.splitlines()[:2] == [
        f"{TITLE} · Mon 2 Jun 2025",
        "No new developments since Sun 1 Jun 2025 08:00 (Kyiv time).",
    ]
    assert "Most recent: Fri 30 May 2025 — Most recent headline" in plain
    assert "Older headline" not in plain
    assert "Source: Reuters" in plain

    async with store() as session:  # an empty store: the one line alone
        for row in (await session.exec(select(NewsUpdate))).all():
            await session.delete(row)
        await session.commit()
        empty = await changes_between(session, since=SINCE, until=UNTIL)
    [only] = briefing_messages(empty, tz=ZoneInfo(LONDON), today=dt.date(2025, 6, 2))
    assert telegram_html_to_plain(only)[0].splitlines() == [
        f"{TITLE} · Mon 2 Jun 2025",
        "No new developments since Sun 1 Jun 2025 06:00 (London time).",
    ]


async def test_a_long_briefing_is_split_between_facts_within_telegrams_limits(
    sqlite_store: SessionFactory,
) -> None:
    filler = "Nuance & <detail> 🇺🇦 " * 40  # escaping, tags-alike, and 2-unit UTF-16 flags
    async with sqlite_store() as session:
        src = await add_source(session, "Reuters & Co <wire>", "https://example.org/?a=1&b=2")
        ru, ua, _ = await party_and_issue(session)
        for i in range(15):
            await factories.create_update(
                session,
                date=dt.date(2025, 6, 1),
                headline=f"Headline {i:02d} " + "🕊" * 20 + " & more",
                summary=f"Summary {i:02d}: " + filler,
                source_ids=[src],
                created_at=at_hours(1 + i / 10),
            )
            party = ru if i % 2 else ua
            issue = Issue(key=f"issue{i}", name=f"Issue {i:02d}")
            session.add(issue)
            await session.flush()
            await factories.create_position(
                session,
                party=party,
                issue=issue,
                stance=f"Stance {i:02d}: " + filler,
                as_of=dt.date(2025, 6, 1),
                source_ids=[src],
                created_at=at_hours(2 + i / 10),
            )
            await factories.create_round(
                session,
                date=dt.date(2025, 6, 1),
                place="Istanbul",
                title=f"Round {i:02d}",
                outcome=f"Outcome {i:02d}: " + filler,
                source_ids=[src],
                created_at=at_hours(3 + i / 10),
            )
        await session.commit()
        digest = await changes_between(session, since=SINCE, until=UNTIL)

    messages = briefing_messages(digest, tz=ZoneInfo(KYIV), today=dt.date(2025, 6, 2))
    assert len(messages) >= 3
    api = LocalBotApi()
    plains = []
    for i, html in enumerate(messages):
        plain, _ = telegram_html_to_plain(html)  # strict: raises on any broken tag or &
        assert utf16_len(plain) <= TELEGRAM_LIMIT, (i, utf16_len(plain))
        status, body = await api.handle(
            "sendMessage", {"chat_id": 1, "text": html, "parse_mode": "HTML"}
        )
        assert status == 200, body
        first_line, last_line = plain.splitlines()[0], plain.splitlines()[-1]
        suffix = "" if i == 0 else " (continued)"
        assert first_line == f"{TITLE} · Mon 2 Jun 2025{suffix}"
        # Never a silent half: every part but the last says that more follows.
        more = f"Part {i + 1} of {len(messages)} — the rest follows."
        assert (last_line == more) == (i < len(messages) - 1), last_line
        # Only the one true "rest follows" line: never the room-keeping placeholder.
        assert plain.count("the rest follows") == (1 if i < len(messages) - 1 else 0), plain
        plains.append(plain)
    # Each fact whole in exactly one message: its title and its body together.
    for i in range(15):
        for start, end in (
            (f"Headline {i:02d}", f"Summary {i:02d}:"),
            (f"Issue {i:02d}", f"Stance {i:02d}:"),
            (f"Round {i:02d}", f"Outcome {i:02d}:"),
        ):
            holding = [p for p in plains if start in p]
            assert len(holding) == 1, start
            assert end in holding[0]
    # Grouped by kind across messages: every update before every stance before every round.
    text = "\n".join(plains)
    assert text.index("Summary 00") < text.index("Stance 14") < text.index("Outcome 00")


# ==================================================================================== delivery


@dataclass
class Wire:
    """A real PTB Application (rate limiter on) talking HTTP to the fake Bot API."""

    app: BriefingApp
    api: LocalBotApi
    settings: Settings

    @property
    def sessions(self) -> SessionFactory:
        """The app's session factory."""
        sessions = self.app.bot_data.sessions
        assert sessions is not None
        return sessions

    async def run(self, now: dt.datetime, **kwargs: Any) -> delivery.RunStats:
        """One briefing run at `now`."""
        return await send_due_briefings(
            self.app.bot, self.sessions, self.settings, now=now, **kwargs
        )

    async def send(self, chat_id: int, text: str) -> None:
        """A user's message, processed by the app; replies go over HTTP to the fake."""
        raw = self.api.make_message(text, chat_id=chat_id, user_id=chat_id)
        await self.app.process_update(Update.de_json(raw, self.app.bot))


@asynccontextmanager
async def wired(database_url: str, **overrides: Any) -> AsyncIterator[Wire]:
    """The Application over HTTP against a fresh fake server, store opened."""
    async with FakeTelegramServer() as server:
        values: dict[str, Any] = {
            "seed_on_empty": False,
            "rate_limit": True,
            "briefing_rate": 100,
            "telegram_api_base": server.base_url,
        }
        values.update(overrides)
        settings = make_settings(database_url, **values)
        app = build_application(settings)
        await app.initialize()
        await open_store(app.bot_data)
        try:
            yield Wire(app, server.api, settings)
        finally:
            await close_store(app.bot_data)
            await app.shutdown()


MORNING = utc(2025, 6, 2, 5, 10)  # Mon 2 Jun 2025, 08:10 in Kyiv


async def test_every_subscriber_gets_exactly_one_briefing_through_429s_and_403s(
    sqlite_url: str,
) -> None:
    async with wired(sqlite_url) as wire:
        chats = list(range(1001, 1031))
        for chat_id in chats:
            await add_subscriber(wire.sessions, chat_id, quiet=chat_id == 1005)
        await add_subscriber(wire.sessions, 1100, subscribed=False)
        await add_subscriber(wire.sessions, 1101, active=False)
        await add_subscriber(wire.sessions, 1102, at=dt.time(10, 0))  # not yet
        wire.api.block_chat(1010)
        wire.api.block_chat(1020, "Forbidden: user is deactivated")
        wire.api.inject_flood("sendMessage", times=2, retry_after=1)

        stats = await wire.run(MORNING)
        assert (stats.sent, stats.blocked, stats.failed, stats.unknown) == (28, 2, 0, 0)
        counts = briefing_counts(wire.api)
        assert counts == {c: 1 for c in chats if c not in (1010, 1020)}
        sends = [c for c in wire.api.calls if c[0] == "sendMessage"]
        assert len(sends) == 28 + 2 + 2  # the two 429s were retried after retry_after
        assert briefings(wire.api, 1005)[0].disable_notification is True
        assert briefings(wire.api, 1001)[0].disable_notification is False
        assert await ledger_rows(wire.sessions, "briefing:2025-06-02") == {
            c: "blocked" if c in (1010, 1020) else "sent" for c in chats
        }
        first = await subscriber(wire.sessions, 1001)
        assert first.last_briefing_at == MORNING and first.failures == 0
        refused = await subscriber(wire.sessions, 1010)
        assert (refused.failures, refused.active, refused.last_briefing_at) == (1, True, None)

        # Running again, now or later the same morning, sends nothing new.
        for later in (MORNING, MORNING + dt.timedelta(hours=1)):
            again = await wire.run(later)
            assert (again.sent, again.failed, again.blocked) == (0, 0, 0)
            assert again.skipped == 30
        assert briefing_counts(wire.api) == counts

        async with wire.sessions() as session:
            runs = (await session.exec(select(DeliveryRun).order_by(col(DeliveryRun.id)))).all()
        assert [(r.kind, r.sent, r.blocked) for r in runs] == [
            ("briefing", 28, 2),
            ("briefing", 0, 0),
            ("briefing", 0, 0),
        ]
        assert all(r.finished_at is not None for r in runs)


async def test_a_persisting_403_pauses_the_subscriber_and_start_brings_them_back(
    sqlite_url: str,
) -> None:
    async with wired(sqlite_url) as wire:
        for chat_id in (1, 2, 3):
            await add_subscriber(wire.sessions, chat_id, at=dt.time(7, 15), zone=LONDON)
        await add_subscriber(wire.sessions, 4, quiet=True)  # 08:00 Kyiv
        wire.api.block_chat(2)
        wire.api.block_chat(3)

        def morning(n: int) -> dt.datetime:  # 08:05 in London, 10:05 in Kyiv: both due
            return utc(2025, 6, 2, 7, 5) + dt.timedelta(days=n)

        await wire.run(morning(0))
        assert [(await subscriber(wire.sessions, c)).active for c in (2, 3)] == [True, True]
        wire.api.unblock_chat(3)  # chat 3 unblocked: one 403 was passing
        await wire.run(morning(1))
        two, three = await subscriber(wire.sessions, 2), await subscriber(wire.sessions, 3)
        assert (two.active, two.failures) == (False, 2)  # refused two runs in a row
        assert (three.active, three.failures) == (True, 0)
        assert (two.subscribed, two.briefing_time, two.timezone) == (True, dt.time(7, 15), LONDON)

        calls_to_two = [c for c in wire.api.calls if c[1].get("chat_id") in (2, "2")]
        assert len(calls_to_two) == 2  # one refused attempt per run
        third = await wire.run(morning(2))
        assert third.blocked == 0
        assert [c for c in wire.api.calls if c[1].get("chat_id") in (2, "2")] == calls_to_two
        assert 2 not in await ledger_rows(wire.sessions, "briefing:2025-06-04")

        wire.api.unblock_chat(2)
        await wire.send(2, "/start")
        two = await subscriber(wire.sessions, 2)
        assert (two.active, two.failures, two.subscribed) == (True, 0, True)
        assert (two.briefing_time, two.timezone) == (dt.time(7, 15), LONDON)
        await wire.run(morning(3))
        assert len(briefings(wire.api, 2)) == 1
        assert briefing_counts(wire.api) == {1: 4, 2: 1, 3: 3, 4: 4}
        assert all(m.disable_notification for m in briefings(wire.api, 4))


async def test_catch_up_sends_within_the_window_and_skips_after_it(sqlite_url: str) -> None:
    async with wired(sqlite_url) as wire:
        await add_subscriber(wire.sessions, 1)  # 08:00 Kyiv = 05:00 UTC in June
        await add_subscriber(wire.sessions, 2, at=dt.time(23, 30))  # late evening, Kyiv

        early = await wire.run(utc(2025, 6, 2, 4, 59))  # 07:59: not yet
        too_late = await wire.run(utc(2025, 6, 2, 8, 1))  # 11:01: 3 h 1 min late, skipped
        assert (early.sent, too_late.sent) == (0, 0)
        assert await ledger_rows(wire.sessions, "briefing:2025-06-02") == {}

        in_window = await wire.run(utc(2025, 6, 3, 7, 59))  # 10:59 the next day: sent
        assert in_window.sent == 1
        assert await ledger_rows(wire.sessions, "briefing:2025-06-03") == {1: "sent"}

        # Down over midnight: 23:30's briefing is still due at 00:30, as that evening's.
        after_midnight = await wire.run(utc(2025, 6, 3, 21, 30))  # Wed 4 Jun, 00:30 in Kyiv
        assert after_midnight.sent == 1
        assert await ledger_rows(wire.sessions, "briefing:2025-06-03") == {1: "sent", 2: "sent"}
        await wire.run(utc(2025, 6, 3, 22, 0))
        assert briefing_counts(wire.api) == {1: 1, 2: 1}

        settings = make_settings(sqlite_url, briefing_catchup="30m")
        target = ledger.Target(9, False, KYIV, dt.time(8, 0), None)
        assert due_day(target, settings, utc(2025, 6, 2, 5, 29)) == dt.date(2025, 6, 2)
        assert due_day(target, settings, utc(2025, 6, 2, 5, 31)) is None


async def test_the_next_briefing_covers_what_came_since_the_last_one(sqlite_url: str) -> None:
    async with wired(sqlite_url) as wire:
        await add_subscriber(wire.sessions, 1)
        first_day = utc(2025, 6, 1, 5, 0)
        async with wire.sessions() as session:
            src = await add_source(session)
            for hours, headline in ((-30, "Too old for a first briefing"), (-3, "Fresh news")):
                await factories.create_update(
                    session,
                    date=dt.date(2025, 6, 1),
                    headline=headline,
                    source_ids=[src],
                    created_at=first_day + dt.timedelta(hours=hours),
                )
            await session.commit()
        await wire.run(first_day)
        [first] = briefings(wire.api, 1)
        assert "Fresh news" in first.plain and "Too old" not in first.plain
        assert "What is new since Sat 31 May 2025 08:00 (Kyiv time)" in first.plain

        async with wire.sessions() as session:
            row = (
                await session.exec(select(NewsUpdate).where(NewsUpdate.headline == "Fresh news"))
            ).one()
            row.retracted_at = row.updated_at = first_day + dt.timedelta(hours=2)
            row.retraction_reason = "not confirmed"
            session.add(row)
            await session.commit()
        await wire.run(first_day + dt.timedelta(days=1))
        second = briefings(wire.api, 1)[1]
        assert "What is new since Sun 1 Jun 2025 08:00 (Kyiv time)" in second.plain
        assert "🗑 Retracted" in second.plain
        assert f"U{row.id} “Fresh news” — not confirmed" in second.plain

        await wire.run(first_day + dt.timedelta(days=2))
        third = briefings(wire.api, 1)[2]
        assert "No new developments since Mon 2 Jun 2025 08:00" in third.plain
        assert "Most recent: Sun 1 Jun 2025 — Too old for a first briefing" in third.plain


class FlakyBot(PostingBot):
    """A stand-in Bot whose sends fail as scripted per chat."""

    def __init__(self, script: dict[int, list[Exception]]) -> None:
        super().__init__()
        self.script = script
        self.calls: list[int] = []
        self.delivered: list[int] = []

    async def deliver(self, chat_id: int, text: str) -> int:
        self.calls.append(chat_id)
        pending = self.script.get(chat_id)
        if pending:
            raise pending.pop(0)
        self.delivered.append(chat_id)
        return len(self.delivered)


async def test_only_what_provably_did_not_go_is_retried_and_timeouts_are_in_doubt(
    sqlite_store: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)
        await real_sleep(0)

    class Clock:
        sleep = staticmethod(no_wait)

        def __getattr__(self, name: str) -> Any:
            return getattr(asyncio, name)

    monkeypatch.setattr(sending, "asyncio", Clock())
    for chat_id in (1, 2, 3, 4, 5, 6, 7):
        await add_subscriber(sqlite_store, chat_id)
    refused = NetworkError("httpx.ConnectError: [Errno 111] Connection refused")
    refused.__cause__ = httpx.ConnectError("Connection refused")
    lost = NetworkError("httpx.RemoteProtocolError: Server disconnected")
    lost.__cause__ = httpx.RemoteProtocolError("Server disconnected")
    flaky = FlakyBot(
        {
            1: [TimedOut()],  # maybe delivered: in doubt, never sent again
            2: [NetworkError("Internal Server Error (500)")] * 5,  # outlasts the retries
            3: [BadRequest("Chat not found")],  # gone: counts as blocked
            4: [RetryAfter(7)],  # the limiter gave up: wait as asked, then send
            5: [BadRequest("Bad Request: can't parse entities")],  # not retried
            6: [refused, NetworkError("Bad Gateway")],  # never reached Telegram: retried
            7: [lost],  # the connection dropped after the request left: in doubt
        }
    )
    settings = make_settings("sqlite+aiosqlite://", seed_on_empty=False)
    stats = await send_due_briefings(flaky, sqlite_store, settings, now=MORNING)  # type: ignore[arg-type]
    assert (stats.sent, stats.failed, stats.blocked) == (2, 1, 1)
    assert (stats.unknown, stats.retrying) == (2, 1)
    assert Counter(flaky.calls) == {1: 1, 2: 5, 3: 1, 4: 2, 5: 1, 6: 3, 7: 1}
    assert sorted(flaky.delivered) == [4, 6]
    assert sorted(waits) == [1.0, 1.0, 2.0, 2.0, 4.0, 7.0, 8.0]
    async with sqlite_store() as session:
        rows = {r.chat_id: r for r in (await session.exec(select(Delivery))).all()}
    assert {c: r.status for c, r in rows.items()} == {
        1: "unknown",
        2: "retry",
        3: "blocked",
        4: "sent",
        5: "failed",
        6: "sent",
        7: "unknown",
    }
    assert rows[2].error == "Internal Server Error (500)"
    assert rows[2].lease_until is not None and rows[2].lease_until > utcnow()
    assert "can't parse entities" in (rows[5].error or "").lower()
    assert rows[4].sent_at is not None and rows[2].sent_at is None

    # The next run, once the retry is due, sends chat 2 and nothing else again.
    later = MORNING + dt.timedelta(minutes=10)
    async with sqlite_store() as session:
        row = rows[2]
        row.lease_until = utcnow() - dt.timedelta(seconds=1)
        session.add(row)
        await session.commit()
    again = await send_due_briefings(flaky, sqlite_store, settings, now=later)  # type: ignore[arg-type]
    assert (again.sent, again.unknown, again.retrying) == (1, 0, 0)
    assert sorted(flaky.delivered) == [2, 4, 6]


async def test_subscribers_are_streamed_in_keyset_batches(sqlite_store: SessionFactory) -> None:
    for chat_id in range(1, 24):
        await add_subscriber(sqlite_store, chat_id, subscribed=chat_id != 5, active=chat_id != 6)
    batches = [b async for b in ledger.stream_subscribers(sqlite_store, batch=7)]
    assert [len(b) for b in batches] == [7, 7, 7]
    ids = [t.chat_id for b in batches for t in b]
    assert ids == [c for c in range(1, 24) if c not in (5, 6)]
    only = [b async for b in ledger.stream_subscribers(sqlite_store, slot=(dt.time(9), KYIV))]
    assert only == []


async def test_concurrent_runs_share_the_work_without_overlap(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    kwdefaults = ledger.subscriber_page.__kwdefaults__
    assert kwdefaults is not None
    monkeypatch.setitem(kwdefaults, "batch", 8)  # several batches for the runs to share
    n = 40
    async with wired(database_url, briefing_rate=1000) as wire:
        wire.api.latency = 0.05
        for chat_id in range(1, n + 1):
            await add_subscriber(wire.sessions, chat_id)
        other_engine = create_engine(database_url)  # a second process's own connections
        try:
            other = make_session_factory(other_engine)
            a, b = await asyncio.gather(
                send_due_briefings(
                    wire.app.bot, wire.sessions, wire.settings, now=MORNING, worker="a"
                ),
                send_due_briefings(wire.app.bot, other, wire.settings, now=MORNING, worker="b"),
            )
        finally:
            await other_engine.dispose()
        assert a.sent > 0 and b.sent > 0, (a, b)
        assert a.sent + b.sent == n
        assert briefing_counts(wire.api) == {c: 1 for c in range(1, n + 1)}
        rows = await all_ledger_rows(wire.sessions)
        assert len(rows) == n and {r.status for r in rows} == {"sent"}
        assert Counter(r.claimed_by for r in rows) == {"a": a.sent, "b": b.sent}


# ------------------------------------------------------------------- send-briefings processes


async def _due_now_subscribers(database_url: str, n: int) -> None:
    """A migrated store with `n` subscribers whose briefing was due 5 minutes ago."""
    engine = create_engine(database_url)
    await upgrade_schema(engine)
    sessions = make_session_factory(engine)
    zones = (KYIV, LONDON, NEW_YORK)
    async with sessions() as session:
        for i in range(n):
            zone = zones[i % 3]
            local = utcnow().astimezone(ZoneInfo(zone)) - dt.timedelta(minutes=5)
            session.add(
                Subscriber(
                    chat_id=10_000 + i,
                    chat_type="private",
                    subscribed=True,
                    briefing_time=local.time().replace(second=0, microsecond=0),
                    timezone=zone,
                )
            )
        await session.commit()
    await engine.dispose()


async def test_kill_9_mid_run_then_restart_sends_no_duplicates_and_leaves_no_gaps(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/kill.db"
    n = 64
    await _due_now_subscribers(url, n)
    async with FakeTelegramServer() as server:
        api = server.api
        api.latency = 0.05  # a few seconds of sending
        env = fake_env(
            server,
            DATABASE_URL=url,
            SEED_ON_EMPTY="false",
            BRIEFING_RATE="20",
        )
        proc = await spawn_bot("send-briefings", cwd=tmp_path, env=env)
        try:
            await wait_for(lambda: len(briefings(api)) >= n // 2, "half of the briefings")
        finally:
            proc.send_signal(signal.SIGKILL)
            await asyncio.wait_for(proc.communicate(), timeout=30)
        assert proc.returncode == -signal.SIGKILL
        at_kill = len(briefings(api))
        assert at_kill < n, "the run finished before it could be killed"

        # The ledger as the dead process left it: a row or two in flight, a few seconds claimed.
        engine = create_engine(url)
        try:
            sessions = make_session_factory(engine)
            rows = await all_ledger_rows(sessions)
            in_flight = {r.chat_id for r in rows if r.status == "sending"}
            assert len(in_flight) <= delivery.concurrency(20)  # on the wire, past the limiter
            assert len([r for r in rows if r.status == "claimed"]) <= 2 * 40  # 2 x 2 s at 20/s

            # Restarted at once: the dead run's claims are taken over without waiting a lease.
            second = await spawn_bot("send-briefings", cwd=tmp_path, env=env)
            out, err = await finish(second)
            assert second.returncode == 0, err
            rows = await all_ledger_rows(sessions)
        finally:
            await engine.dispose()

    statuses = {r.chat_id: r.status for r in rows}
    assert len(rows) == n and set(statuses) == {10_000 + i for i in range(n)}
    unknown = {c for c, s in statuses.items() if s == "unknown"}
    assert set(statuses.values()) <= {"sent", "unknown"}
    assert unknown == in_flight
    counts = briefing_counts(api)
    assert max(counts.values()) == 1, "someone got two briefings"
    assert {c for c, s in statuses.items() if s == "sent"} <= set(counts)
    missing = {10_000 + i for i in range(n)} - set(counts)
    assert missing <= unknown, "a gap that is not recorded as in doubt"
    assert f"{len(unknown)} in doubt" in out
    assert all(r.error == "interrupted while sending" for r in rows if r.status == "unknown")


# SQLite runs share the work the same way (test_concurrent_runs_share_the_work_without_overlap);
# as processes, this is the PostgreSQL deployment's case.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_concurrent_send_briefings_give_each_subscriber_exactly_one(
    database_url: str, tmp_path: Path
) -> None:
    n = 60
    await _due_now_subscribers(database_url, n)
    async with FakeTelegramServer() as server:
        server.api.latency = 0.01
        env = fake_env(
            server,
            DATABASE_URL=database_url,
            SEED_ON_EMPTY="false",
            BRIEFING_RATE="200",
        )
        first, second = (
            await spawn_bot("send-briefings", cwd=tmp_path, env=env),
            await spawn_bot("send-briefings", cwd=tmp_path, env=env),
        )
        results = await asyncio.gather(finish(first), finish(second))
        for proc, (out, err) in zip((first, second), results, strict=True):
            assert proc.returncode == 0, err
            assert "Briefings:" in out
        counts = briefing_counts(server.api)
    assert counts == {10_000 + i: 1 for i in range(n)}
    engine = create_engine(database_url)
    try:
        sessions = make_session_factory(engine)
        rows = await all_ledger_rows(sessions)
        async with sessions() as session:
            runs = (await session.exec(select(DeliveryRun))).all()
    finally:
        await engine.dispose()
    assert len(rows) == n and {r.status for r in rows} == {"sent"}
    assert len(runs) == 2 and sum(r.sent for r in runs) == n
    assert len({r.worker for r in runs}) == 2
