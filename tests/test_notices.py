"""Correction notices: a correction or retraction reaches exactly the chats that were sent the
fact, once, merged per hour, as a reply to the briefing that carried it, across restarts, and
not at all for readers who turned notices off.

Briefings go through the real delivery path (rate limiter on, the fake Bot API over HTTP);
editors correct and retract through the real commands and buttons. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select
from telegram import Update

from bot.app import build_application, close_store, open_store
from fake_telegram import LocalBotApi, SentMessage
from fake_telegram.server import FakeTelegramServer
from services.delivery import send_due_briefings
from services.notices import send_due_notices
from store.db import SessionFactory, create_engine, make_session_factory
from store.models import (
    CorrectionNotice,
    DeliveredFact,
    Delivery,
    Party,
    Source,
    Subscriber,
    utcnow,
)
from store.notices import notice_key
from tests import factories
from tests.conftest import make_settings
from tests.support import fake_env, finish, spawn_bot, wait_for
from tests.test_briefings import add_subscriber

EDITOR = 42
MEMBER = 7001  # a member of the forum
FORUM = -1001777000222
KYIV = "Europe/Kyiv"
MORNING = dt.datetime(2025, 6, 2, 5, 10, tzinfo=dt.UTC)  # Mon 2 Jun 2025, 08:10 in Kyiv
TITLE = "☀️ Morning briefing"
HEADLINE = "Ukraine and Russia swap 330 prisoners each"


class Bot:
    """The real Application over HTTP against the fake, with what a test needs to drive it."""

    def __init__(self, app: Any, server: FakeTelegramServer) -> None:
        self.app = app
        self.server = server
        self.api: LocalBotApi = server.api
        self.settings = app.bot_data.settings

    @property
    def sessions(self) -> SessionFactory:
        """The app's session factory."""
        sessions: SessionFactory | None = self.app.bot_data.sessions
        assert sessions is not None
        return sessions

    async def send(self, chat_id: int, text: str, *, topic: int | None = None) -> list[SentMessage]:
        """A user's message (in a forum, a member's, in `topic` or in General), processed by the
        app; returns the bot's answers in that chat."""
        before = len(self.api.sent(chat_id))
        if chat_id > 0:
            raw = self.api.make_message(text, chat_id=chat_id, user_id=chat_id)
        else:
            raw = self.api.make_message(
                text,
                chat_id=chat_id,
                user_id=MEMBER,
                chat_type="supergroup",
                message_thread_id=topic,
            )
        await self.app.process_update(Update.de_json(raw, self.app.bot))
        return self.api.sent(chat_id)[before:]

    async def press(self, message: SentMessage, label: str, *, data: str | None = None) -> None:
        """Press a button of a message (or send `data` as if one carried it), as a user of the
        chat."""
        offered = data is None
        if data is None:
            data = next(d for row in message.buttons for text, d in row if label in text)
        raw = self.api.make_callback(
            message.message_id,
            data,
            chat_id=message.chat_id,
            user_id=message.chat_id if message.chat_id > 0 else MEMBER,
            check_button=offered,
        )
        await self.app.process_update(Update.de_json(raw, self.app.bot))

    async def notices(self, now: dt.datetime) -> Any:
        """One notice run at `now`."""
        return await send_due_notices(self.app.bot, self.sessions, self.settings, now=now)


@asynccontextmanager
async def running_bot(database_url: str) -> AsyncIterator[Bot]:
    """The bot (store opened, no polling) and the fake it talks to."""
    async with FakeTelegramServer() as server:
        settings = make_settings(
            database_url,
            seed_on_empty=False,
            rate_limit=True,
            briefing_rate=100,
            telegram_api_base=server.base_url,
            admin_ids=frozenset({EDITOR}),
        )
        app = build_application(settings)
        await app.initialize()
        await open_store(app.bot_data)
        try:
            yield Bot(app, server)
        finally:
            await close_store(app.bot_data)
            await app.shutdown()


async def arrange(sessions: SessionFactory, chats: range, *, at: dt.time) -> dict[str, int]:
    """Subscribers briefed at `at` Kyiv time, and an exchange and an update of the day before."""
    async with sessions() as session:
        for chat_id in chats:
            session.add(
                Subscriber(
                    chat_id=chat_id,
                    chat_type="private",
                    subscribed=True,
                    briefing_time=at,
                    timezone=KYIV,
                )
            )
        ru, ua = Party(key="ru", name="Russia"), Party(key="ua", name="Ukraine")
        source = Source(name="Reuters", url="https://example.org/swap")
        session.add_all([ru, ua, source])
        await session.flush()
        assert source.id is not None
        made = MORNING - dt.timedelta(hours=3)
        exchange = await factories.create_exchange(
            session,
            date=dt.date(2025, 5, 25),
            returned=[(ua, 330), (ru, 330)],
            status="completed",
            source_ids=[source.id],
            created_at=made,
        )
        news = await factories.create_update(
            session,
            date=dt.date(2025, 5, 25),
            headline=HEADLINE,
            source_ids=[source.id],
            created_at=made,
        )
        await session.commit()
        return {"X": exchange.id, "U": news.id}


def briefing_of(api: LocalBotApi, chat_id: int) -> SentMessage:
    """The one briefing a chat got."""
    [message] = [m for m in api.sent(chat_id) if m.plain.startswith(TITLE)]
    return message


def notices_of(api: LocalBotApi, chat_id: int) -> list[SentMessage]:
    """The correction notices a chat got."""
    return [
        m
        for m in api.sent(chat_id)
        if not m.edited and m.plain.startswith(("📨", "✏️ Correction", "🗑 Retracted"))
    ]


def replied_to(message: SentMessage) -> int | None:
    """The message id a message was sent as a reply to (reply_parameters), if any."""
    raw = message.params.get("reply_parameters")
    if raw is None:
        return None
    parameters = json.loads(raw) if isinstance(raw, str) else raw
    assert parameters["allow_sending_without_reply"] is True
    return int(parameters["message_id"])


async def correct_and_retract(bot: Bot, ids: dict[str, int]) -> tuple[SentMessage, SentMessage]:
    """The editor corrects the exchange (330 -> 303) and retracts the update, both Saved."""
    x, u = f"X{ids['X']}", f"U{ids['U']}"
    [edit_preview] = await bot.send(EDITOR, f"/edit {x}\nreturned: Ukraine 303, Russia 303")
    await bot.press(edit_preview, "Save")
    [retract_preview] = await bot.send(EDITOR, f"/retract {u} the swap was 303, not 330")
    await bot.press(retract_preview, "Retract")
    return edit_preview, retract_preview


def notice_lines(x: str, u: str) -> list[str]:
    """The notice a chat gets once exchange `x` is corrected and update `u` retracted."""
    return [
        "📨 Corrections to facts you were sent",
        "",
        "✏️ Correction to Mon 2 Jun 2025's briefing: prisoner exchange "
        f"{x} (Sun 25 May 2025) — returned: Ukraine 303, Russia 303 "
        "(not Ukraine 330, Russia 330)",
        f"/show {x}",
        "",
        f"🗑 Retracted, from Mon 2 Jun 2025's briefing: update {u} ({HEADLINE}) — "
        "the swap was 303, not 330",
        f"/show {u}",
    ]


async def test_a_correction_reaches_the_chats_that_got_the_fact_once_merged_in_the_hour(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        ids = await arrange(bot.sessions, range(1, 5), at=dt.time(8, 0))
        stats = await send_due_briefings(bot.app.bot, bot.sessions, bot.settings, now=MORNING)
        assert stats.sent == 4
        x, u = f"X{ids['X']}", f"U{ids['U']}"

        # The ledger knows which facts each chat got, and in which message.
        async with bot.sessions() as session:
            rows = (await session.exec(select(DeliveredFact))).all()
        assert sorted((r.chat_id, r.key, r.fact_kind, r.fact_id, r.message_id) for r in rows) == [
            (c, "briefing:2025-06-02", kind, ids[letter], briefing_of(bot.api, c).message_id)
            for c in range(1, 5)
            for kind, letter in (("exchange", "X"), ("update", "U"))
        ]

        # Chat 3 turns notices off; chat 9 subscribes after the briefing (never got the fact).
        [settings] = await bot.send(3, "/settings notices off")
        assert "Correction notices (when a fact you were sent is corrected): off" in (
            settings.plain
        )
        await bot.send(9, "/subscribe")

        edit_preview, retract_preview = await correct_and_retract(bot, ids)
        assert "📨 Will notify 3 chats that received it." in edit_preview.plain
        assert "📨 Will notify 3 chats that received it." in retract_preview.plain
        async with bot.sessions() as session:
            queued = (await session.exec(select(CorrectionNotice))).all()
        now = utcnow()
        assert sorted((n.chat_id, n.fact_kind) for n in queued) == sorted(
            (c, kind) for c in (1, 2, 4) for kind in ("exchange", "update")
        )
        assert {n.key for n in queued} == {notice_key(now)}
        first_hour = {n.id for n in queued}

        # Within the hour nothing goes: later corrections of the hour join the same message.
        early = await bot.notices(now)
        assert early.sent == 0 and all(notices_of(bot.api, c) == [] for c in range(1, 10))

        hour_over = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(
            hours=1, minutes=2
        )
        first = await bot.notices(hour_over)
        assert first.sent == 3
        assert notices_of(bot.api, 3) == [] and notices_of(bot.api, 9) == []
        for chat_id in (1, 2, 4):
            [notice] = notices_of(bot.api, chat_id)
            assert notice.plain.split("\n") == notice_lines(x, u)
            assert replied_to(notice) == briefing_of(bot.api, chat_id).message_id

        # Once: the next runs, later that hour or the next day, send nothing more.
        for later in (hour_over, hour_over + dt.timedelta(hours=5)):
            again = await bot.notices(later)
            assert again.sent == 0
        assert [len(notices_of(bot.api, c)) for c in range(1, 10)] == [1, 1, 0, 1, 0, 0, 0, 0, 0]
        async with bot.sessions() as session:
            ledger = (
                await session.exec(
                    select(Delivery.chat_id, Delivery.status).where(
                        col(Delivery.key) == notice_key(now)
                    )
                )
            ).all()
        assert sorted(ledger) == [(1, "sent"), (2, "sent"), (4, "sent")]

        # Chat 3 turns them back on: the correction of the next hour reaches it too.
        await bot.send(3, "/settings notices on")
        [later_edit] = await bot.send(EDITOR, f"/edit {x}\nmediator: UAE")
        assert "📨 Will notify 4 chats that received it." in later_edit.plain
        await bot.press(later_edit, "Save")
        async with bot.sessions() as session:
            # Made an hour later (the clock is the test's): a message of its own.
            await session.exec(
                update(CorrectionNotice)
                .where(col(CorrectionNotice.id).not_in(first_hour))
                .values(key=notice_key(hour_over))
            )
            await session.commit()
        second = await bot.notices(hour_over + dt.timedelta(hours=1))
        assert second.sent == 4
        [latest] = notices_of(bot.api, 3)
        assert latest.plain.split("\n") == [
            f"✏️ Correction to Mon 2 Jun 2025's briefing: prisoner exchange {x} "
            "(Sun 25 May 2025) — mediator: UAE (not —)",
            f"/show {x}",
        ]
        assert [len(notices_of(bot.api, c)) for c in (1, 2, 3, 4)] == [2, 2, 1, 2]


async def test_each_forum_topic_is_told_in_the_topic_of_what_its_own_briefing_carried(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        ids = await arrange(bot.sessions, range(1, 2), at=dt.time(8, 0))
        for thread in (0, 7, 9):  # the forum's General (0) and two topics, each subscribed
            await add_subscriber(
                bot.sessions, FORUM, zone=KYIV, thread_id=thread, chat_type="supergroup"
            )
        for thread in (7, 9):
            bot.api.open_topic(FORUM, thread)
        stats = await send_due_briefings(bot.app.bot, bot.sessions, bot.settings, now=MORNING)
        assert stats.sent == 4
        briefed = {
            m.message_thread_id or 0: m.message_id
            for m in bot.api.sent(FORUM)
            if m.plain.startswith(TITLE)
        }
        assert sorted(briefed) == [0, 7, 9] and len(set(briefed.values())) == 3
        x, u = f"X{ids['X']}", f"U{ids['U']}"

        # What each topic was sent is remembered per topic, with its own message.
        async with bot.sessions() as session:
            rows = (await session.exec(select(DeliveredFact))).all()
        assert sorted(
            (r.chat_id, r.thread_id, r.key, r.fact_kind, r.fact_id, r.message_id) for r in rows
        ) == sorted(
            (chat, thread, "briefing:2025-06-02", kind, ids[letter], message)
            for chat, thread, message in [
                (1, 0, briefing_of(bot.api, 1).message_id),
                *((FORUM, t, m) for t, m in briefed.items()),
            ]
            for kind, letter in (("exchange", "X"), ("update", "U"))
        )

        # Topic 9 turns notices off, in the topic: only its own setting changes.
        [answer] = await bot.send(FORUM, "/settings notices off", topic=9)
        assert answer.message_thread_id == 9
        assert "Correction notices (when a fact you were sent is corrected): off" in answer.plain
        async with bot.sessions() as session:
            flags = (
                await session.exec(
                    select(Subscriber.thread_id, Subscriber.notices)
                    .where(Subscriber.chat_id == FORUM)
                    .order_by(col(Subscriber.thread_id))
                )
            ).all()
        assert flags == [(0, True), (7, True), (9, False)]

        edit_preview, retract_preview = await correct_and_retract(bot, ids)
        # Chat 1, the forum's General and topic 7: three subscribers that got the facts.
        assert "📨 Will notify 3 chats that received it." in edit_preview.plain
        assert "📨 Will notify 3 chats that received it." in retract_preview.plain
        async with bot.sessions() as session:
            queued = (await session.exec(select(CorrectionNotice))).all()
        now = utcnow()
        assert sorted((n.chat_id, n.thread_id, n.fact_kind, n.key) for n in queued) == sorted(
            (chat, thread, kind, notice_key(now))
            for chat, thread in ((1, 0), (FORUM, 0), (FORUM, 7))
            for kind in ("exchange", "update")
        )

        hour_over = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(
            hours=1, minutes=2
        )
        first = await bot.notices(hour_over)
        assert first.sent == 3
        told = notices_of(bot.api, FORUM)
        # One message per topic, in that topic, replying to that topic's briefing.
        assert sorted(((m.message_thread_id or 0), replied_to(m)) for m in told) == [
            (0, briefed[0]),
            (7, briefed[7]),
        ]
        for message in told:
            assert message.plain.split("\n") == notice_lines(x, u)
        [private] = notices_of(bot.api, 1)
        assert private.message_thread_id is None
        assert replied_to(private) == briefing_of(bot.api, 1).message_id

        # The ledger holds one notice per (chat, topic) and hour: the next run sends nothing.
        async with bot.sessions() as session:
            ledger = (
                await session.exec(
                    select(Delivery.chat_id, Delivery.thread_id, Delivery.status).where(
                        col(Delivery.key) == notice_key(now)
                    )
                )
            ).all()
        assert sorted(ledger) == sorted([(1, 0, "sent"), (FORUM, 0, "sent"), (FORUM, 7, "sent")])
        assert (await bot.notices(hour_over + dt.timedelta(minutes=10))).sent == 0
        assert len(notices_of(bot.api, FORUM)) == 2


async def test_the_settings_button_turns_notices_off(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        [answer] = await bot.send(5, "/subscribe")
        assert answer.plain.startswith("✅ Subscribed")
        [shown] = await bot.send(5, "/settings")
        assert "Correction notices (when a fact you were sent is corrected): on" in shown.plain
        await bot.press(shown, "Correction notices off")
        async with bot.sessions() as session:
            row = await session.get(Subscriber, (5, 0))
            assert row is not None and row.notices is False
        edited = bot.api.sent(5)[-1]
        assert edited.edited and "corrected): off" in edited.plain
        assert [label for row_ in edited.buttons for label, _ in row_][-1] == (
            "📨 Correction notices on"
        )
        [refused] = await bot.send(6, "/settings notices off")
        assert refused.plain == "Subscribe first: /subscribe"
        [refused] = await bot.send(6, "/settings quiet on")  # the same for every flag
        assert refused.plain == "Subscribe first: /subscribe"

        # One handler for every flag: the quiet button's data (as sent before) still works, and
        # data naming no flag is answered as an expired button, changing nothing.
        await bot.press(edited, "", data="set:quiet:1")
        await bot.press(edited, "", data="set:sound:1")
        await bot.press(edited, "", data="set:notices:2")
        async with bot.sessions() as session:
            row = await session.get(Subscriber, (5, 0))
            assert row is not None and (row.quiet, row.notices) == (True, False)
        assert [a.text for a in bot.api.callback_answers][-2:] == [
            "This button has expired — send the command again."
        ] * 2


async def test_a_forum_topics_settings_buttons_change_that_topic_only(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        for topic in (7, 9):
            [answer] = await bot.send(FORUM, "/subscribe", topic=topic)
            assert answer.message_thread_id == topic and answer.plain.startswith("✅ Subscribed")
        [shown] = await bot.send(FORUM, "/settings", topic=7)
        await bot.press(shown, "Correction notices off")
        await bot.press(shown, "Quiet mode")
        edited = [m for m in bot.api.sent(FORUM) if m.edited]
        assert [m.message_thread_id for m in edited] == [7, 7]
        assert "Quiet (no notification sound): on" in edited[-1].plain
        assert "corrected): off" in edited[-1].plain
        async with bot.sessions() as session:
            rows = (
                await session.exec(
                    select(Subscriber.thread_id, Subscriber.quiet, Subscriber.notices)
                    .where(Subscriber.chat_id == FORUM)
                    .order_by(col(Subscriber.thread_id))
                )
            ).all()
        assert rows == [(7, True, False), (9, False, True)]
        [other] = await bot.send(FORUM, "/settings notices off", topic=9)
        assert other.message_thread_id == 9 and "corrected): off" in other.plain
        [general] = await bot.send(FORUM, "/settings notices off", topic=None)
        assert general.plain == "Subscribe first: /subscribe"  # the General topic has none


async def test_notices_survive_a_kill_9_and_a_restart_with_no_duplicates(
    database_url: str, tmp_path: Path
) -> None:
    n = 40
    chats = range(100, 100 + n)
    async with running_bot(database_url) as bot:
        ids = await arrange(bot.sessions, chats, at=dt.time(8, 0))
        await send_due_briefings(bot.app.bot, bot.sessions, bot.settings, now=MORNING)
        await correct_and_retract(bot, ids)
        async with bot.sessions() as session:
            # Made an hour ago (the clock is the test's), so due now; and briefings not due now.
            past = utcnow() - dt.timedelta(hours=1)
            await session.exec(update(CorrectionNotice).values(key=notice_key(past)))
            far = (utcnow().astimezone(ZoneInfo(KYIV)) - dt.timedelta(hours=6)).time()
            await session.exec(update(Subscriber).values(briefing_time=far.replace(microsecond=0)))
            await session.commit()
        api, server = bot.api, bot.server

        api.latency = 0.05
        env = fake_env(server, DATABASE_URL=database_url, SEED_ON_EMPTY="false", BRIEFING_RATE="20")
        proc = await spawn_bot("send-briefings", cwd=tmp_path, env=env)
        try:
            await wait_for(
                lambda: sum(len(notices_of(api, c)) for c in chats) >= n // 3, "some notices"
            )
        finally:
            proc.send_signal(signal.SIGKILL)
            await asyncio.wait_for(proc.communicate(), timeout=30)
        at_kill = sum(len(notices_of(api, c)) for c in chats)
        assert at_kill < n, "the run finished before it could be killed"

        second = await spawn_bot("send-briefings", cwd=tmp_path, env=env)
        out, err = await finish(second)
        assert second.returncode == 0, err
        assert "Correction notices:" in out and "Briefings: 0 sent" in out, out
        third = await spawn_bot("send-briefings", cwd=tmp_path, env=env)
        out3, err3 = await finish(third)
        assert third.returncode == 0, err3
        assert "Correction notices: 0 sent" in out3, out3

        engine = create_engine(database_url)
        try:
            async with make_session_factory(engine)() as session:
                rows = (
                    await session.exec(
                        select(Delivery).where(col(Delivery.key) == notice_key(past))
                    )
                ).all()
        finally:
            await engine.dispose()
    statuses = {r.chat_id: r.status for r in rows}
    assert set(statuses) == set(chats) and set(statuses.values()) <= {"sent", "unknown"}
    counts = {c: len(notices_of(api, c)) for c in chats}
    assert max(counts.values()) == 1, "a chat got the same notice twice"
    missing = {c for c, k in counts.items() if k == 0}
    assert missing <= {c for c, s in statuses.items() if s == "unknown"}
    assert all(
        "Correction to Mon 2 Jun 2025's briefing" in notices_of(api, c)[0].plain
        for c in chats
        if counts[c]
    )


async def test_what_was_sent_is_remembered_for_30_days(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        now = utcnow()
        async with bot.sessions() as session:
            for days, fact_id in ((31, 1), (29, 2)):
                session.add(
                    DeliveredFact(
                        chat_id=1,
                        key="briefing:2025-06-02",
                        fact_kind="update",
                        fact_id=fact_id,
                        message_id=7,
                        sent_at=now - dt.timedelta(days=days),
                    )
                )
            await session.commit()
        await bot.notices(now)  # each notice run forgets what is too old first
        async with bot.sessions() as session:
            kept = (await session.exec(select(DeliveredFact.fact_id))).all()
        assert kept == [2]


async def test_a_notice_speaks_the_chats_language_and_links_the_facts_page(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        bot.settings.web_base_url = "https://briefing.example.org/web"
        ids = await arrange(bot.sessions, range(1, 3), at=dt.time(8, 0))
        async with bot.sessions() as session:
            await session.exec(
                update(Subscriber).where(col(Subscriber.chat_id) == 2).values(language="uk")
            )
            await session.commit()
        assert (await send_due_briefings(bot.app.bot, bot.sessions, bot.settings, now=MORNING)).sent
        await correct_and_retract(bot, ids)
        later = utcnow().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        assert (await bot.notices(later + dt.timedelta(minutes=2))).sent == 2
        x = f"X{ids['X']}"
        [english] = notices_of(bot.api, 1)
        [ukrainian] = [m for m in bot.api.sent(2) if not m.edited][-1:]
        assert english.plain.startswith("📨 Corrections to facts you were sent")
        assert not ukrainian.plain.startswith("📨 Corrections to facts you were sent")
        assert "пн, 2 черв. 2025" in ukrainian.plain, ukrainian.plain
        assert f"обмін полоненими {x}" in ukrainian.plain
        for notice in (english, ukrainian):
            links = [e.get("url") for e in notice.entities if e["type"] == "text_link"]
            assert f"https://briefing.example.org/web/fact/{x}" in links, notice.entities


async def test_migration_0017_keys_notices_by_topic_and_its_downgrade_drops_topic_rows(
    database_url: str,
) -> None:
    """0017 keeps what each chat was sent and its queued notices as the chat's own (thread 0)."""
    from alembic import command
    from sqlalchemy import inspect, text

    from store.db import alembic_config

    def migrate(c: Any, to: str, *, down: bool = False) -> None:
        (command.downgrade if down else command.upgrade)(alembic_config(c), to)

    def keys(c: Any) -> dict[str, list[list[str]]]:
        found = inspect(c)
        return {
            table: sorted(u["column_names"] for u in found.get_unique_constraints(table))
            + [
                i["column_names"]
                for i in found.get_indexes(table)
                if i["name"] == "ix_correction_notice_key"
            ]
            for table in ("delivered_fact", "correction_notice")
        }

    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(migrate, "0016")
            await conn.execute(
                text(
                    "INSERT INTO audit_entry (id, at, action, fact_kind, fact_id) VALUES "
                    "(1, CURRENT_TIMESTAMP, 'edit', 'update', 3)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO delivered_fact (chat_id, key, fact_kind, fact_id, message_id, "
                    "sent_at) VALUES (5, 'briefing:2025-06-02', 'update', 3, 11, "
                    "CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO correction_notice (chat_id, key, audit_id, fact_kind, fact_id, "
                    "created_at) VALUES (5, 'notice:2025-06-02T10', 1, 'update', 3, "
                    "CURRENT_TIMESTAMP)"
                )
            )
            await conn.run_sync(migrate, "0017")
            assert await conn.run_sync(keys) == {
                "delivered_fact": [["chat_id", "thread_id", "key", "fact_kind", "fact_id"]],
                "correction_notice": [
                    ["chat_id", "thread_id", "audit_id"],
                    ["key", "chat_id", "thread_id"],
                ],
            }
            fact = await conn.execute(
                text("SELECT chat_id, thread_id, key, fact_id, message_id FROM delivered_fact")
            )
            assert [tuple(r) for r in fact.all()] == [(5, 0, "briefing:2025-06-02", 3, 11)]
            notice = await conn.execute(
                text("SELECT chat_id, thread_id, key, audit_id FROM correction_notice")
            )
            assert [tuple(r) for r in notice.all()] == [(5, 0, "notice:2025-06-02T10", 1)]
            # The same fact and notice for a topic of the chat: a row of its own now.
            await conn.execute(
                text(
                    "INSERT INTO delivered_fact (chat_id, thread_id, key, fact_kind, fact_id, "
                    "message_id, sent_at) VALUES (5, 7, 'briefing:2025-06-02', 'update', 3, 12, "
                    "CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO correction_notice (chat_id, thread_id, key, audit_id, fact_kind, "
                    "fact_id, created_at) VALUES (5, 7, 'notice:2025-06-02T10', 1, 'update', 3, "
                    "CURRENT_TIMESTAMP)"
                )
            )
            await conn.run_sync(lambda c: migrate(c, "0016", down=True))
            assert await conn.run_sync(keys) == {
                "delivered_fact": [["chat_id", "key", "fact_kind", "fact_id"]],
                "correction_notice": [["chat_id", "audit_id"], ["key", "chat_id"]],
            }
            fact = await conn.execute(text("SELECT chat_id, message_id FROM delivered_fact"))
            assert [tuple(r) for r in fact.all()] == [(5, 11)]
            notice = await conn.execute(text("SELECT chat_id, audit_id FROM correction_notice"))
            assert [tuple(r) for r in notice.all()] == [(5, 1)]
            await conn.run_sync(migrate, "head")
    finally:
        await engine.dispose()


def test_a_notices_numbers_use_the_readers_separators() -> None:
    from core.i18n import using_language
    from render.notices import notice_line
    from store.notices import NoticeItem

    item = NoticeItem(
        kind="exchange",
        fact_id=7,
        action="edit",
        before={"date": "2025-05-25", "returned": {"Ukraine": 1000, "Russia": 1000}},
        after={"date": "2025-05-25", "returned": {"Ukraine": 1200, "Russia": 1200}},
        reason=None,
        sent_in="briefing:2025-06-02",
        message_id=None,
    )
    with using_language("uk"):
        line = notice_line(item)
    # Ukrainian groups thousands with a no-break space: a count never wraps across two lines.
    expected = "Ukraine 1\xa0200, Russia 1\xa0200 (замість Ukraine 1\xa0000, Russia 1\xa0000)"
    assert expected in line, line
    with using_language("en"):
        assert "Ukraine 1,200, Russia 1,200 (not Ukraine 1,000, Russia 1,000)" in notice_line(item)
