"""Forum topics: a command is answered in its topic, and each topic has its own subscription.

Runs on SQLite and, with TEST_POSTGRES_URL, on PostgreSQL: the commands through the real
Application and the in-process fake, the briefings over HTTP to the fake server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, select

from store.models import Delivery, Subscriber
from tests.conftest import Harness, make_settings, start_harness
from tests.test_briefings import KYIV, MORNING, add_subscriber, wired

FORUM = -1001777000111


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    """The seeded bot."""
    async for harness in start_harness(make_settings(database_url)):
        yield harness
        assert harness.errors == [], harness.errors


async def subscriptions(h: Harness) -> list[tuple[int, dt.time | None, bool]]:
    async with h.sessions() as session:
        rows = await session.exec(
            select(Subscriber)
            .where(Subscriber.chat_id == FORUM)
            .order_by(col(Subscriber.thread_id))
        )
        return [(r.thread_id, r.briefing_time, r.subscribed) for r in rows.all()]


async def test_commands_are_answered_in_their_topic(bot: Harness) -> None:
    topic = bot.chat(FORUM, user_id=7001, chat_type="supergroup", thread_id=7)
    (answer,) = await topic.send("/latest 1")
    assert answer.message_thread_id == 7 and "Latest updates" in answer.plain
    general = bot.chat(FORUM, user_id=7001, chat_type="supergroup")
    (answer,) = await general.send("/latest 1")
    assert answer.message_thread_id is None and "Latest updates" in answer.plain
    (answer,) = await bot.chat(FORUM, user_id=7001, chat_type="supergroup", thread_id=9).send(
        "/latest 12"
    )
    assert answer.message_thread_id == 9 and "Latest updates (1–" in answer.plain
    # A page button of that answer edits it in place, in its topic.
    (page,) = await bot.chat(FORUM, user_id=7001, chat_type="supergroup", thread_id=9).press(
        answer, "Older"
    )
    assert page.edited and page.message_id == answer.message_id


async def test_each_topic_has_its_own_subscription(bot: Harness) -> None:
    def in_topic(thread: int | None) -> object:
        return bot.chat(FORUM, user_id=7001, chat_type="supergroup", thread_id=thread)

    seven, nine, general = in_topic(7), in_topic(9), in_topic(None)
    reply = await seven.ask("/subscribe 7:30")  # type: ignore[attr-defined]
    assert reply.message_thread_id == 7 and "07:30 Kyiv time" in reply.plain
    reply = await nine.ask("/subscribe 9:15 London")  # type: ignore[attr-defined]
    assert reply.message_thread_id == 9 and "09:15 London time" in reply.plain
    assert await subscriptions(bot) == [(7, dt.time(7, 30), True), (9, dt.time(9, 15), True)]

    reply = await seven.ask("/settings")  # type: ignore[attr-defined]
    assert "Status: subscribed" in reply.plain and "07:30 Kyiv time" in reply.plain
    reply = await general.ask("/settings")  # type: ignore[attr-defined]
    assert "Status: not subscribed" in reply.plain and reply.message_thread_id is None

    reply = await nine.ask("/unsubscribe")  # type: ignore[attr-defined]
    assert reply.message_thread_id == 9 and reply.plain.startswith("Unsubscribed")
    assert await subscriptions(bot) == [(7, dt.time(7, 30), True), (9, dt.time(9, 15), False)]
    reply = await seven.ask("/settings quiet on")  # type: ignore[attr-defined]
    async with bot.sessions() as session:
        seven_row = await session.get(Subscriber, (FORUM, 7))
        nine_row = await session.get(Subscriber, (FORUM, 9))
    assert seven_row is not None and seven_row.quiet is True
    assert nine_row is not None and nine_row.quiet is False


async def test_briefings_go_to_each_topic_once(database_url: str) -> None:
    async with wired(database_url) as wire:
        await add_subscriber(wire.sessions, FORUM, zone=KYIV)
        for thread in (7, 9, 11):
            await add_subscriber(
                wire.sessions, FORUM, zone=KYIV, thread_id=thread, chat_type="supergroup"
            )
        for thread in (7, 9, 11):
            wire.api.open_topic(FORUM, thread)
        wire.api.close_topic(FORUM, 11)  # deleted since it subscribed

        stats = await wire.run(MORNING)
        assert (stats.sent, stats.blocked) == (3, 1)
        sent = [m for m in wire.api.sent(FORUM) if "Morning briefing" in m.plain]
        assert sorted((m.message_thread_id or 0) for m in sent) == [0, 7, 9]
        async with wire.sessions() as session:
            rows = (await session.exec(select(Delivery).order_by(col(Delivery.thread_id)))).all()
        assert [(r.chat_id, r.thread_id, r.key, r.status) for r in rows] == [
            (FORUM, 0, "briefing:2025-06-02", "sent"),
            (FORUM, 7, "briefing:2025-06-02", "sent"),
            (FORUM, 9, "briefing:2025-06-02", "sent"),
            (FORUM, 11, "briefing:2025-06-02", "blocked"),  # paused if it persists
        ]
        assert "message thread not found" in (rows[3].error or "").lower()

        again = await wire.run(MORNING + dt.timedelta(minutes=30))
        assert (again.sent, again.skipped) == (0, 4)
        assert len([m for m in wire.api.sent(FORUM) if "Morning briefing" in m.plain]) == 3


async def test_migration_keys_subscribers_by_chat_and_topic(database_url: str) -> None:
    """0014 keeps every chat as its topic 0, and its downgrade drops only topic rows."""
    from alembic import command
    from sqlalchemy import inspect, text

    from store.db import alembic_config, create_engine

    def upgrade(c: Any, to: str) -> None:
        command.upgrade(alembic_config(c), to)

    def downgrade(c: Any, to: str) -> None:
        command.downgrade(alembic_config(c), to)

    def key(c: Any) -> list[str]:
        return list(inspect(c).get_pk_constraint("subscriber")["constrained_columns"])

    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade, "0009")
            await conn.execute(
                text(
                    "INSERT INTO subscriber (chat_id, chat_type, first_seen, last_seen, "
                    "subscribed, quiet, active, failures) VALUES "
                    "(5, 'private', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, true, true, true, 0)"
                )
            )
            await conn.run_sync(upgrade, "0014")
            assert await conn.run_sync(key) == ["chat_id", "thread_id"]
            rows = await conn.execute(
                text("SELECT chat_id, thread_id, quiet, news, interests FROM subscriber")
            )
            assert [tuple(r) for r in rows.all()] == [(5, 0, True, True, None)]
            await conn.execute(
                text(
                    "INSERT INTO subscriber (chat_id, thread_id, chat_type, first_seen, "
                    "last_seen, subscribed, quiet, active, failures) VALUES (5, 7, 'supergroup', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, true, false, true, 0)"
                )
            )
            await conn.run_sync(downgrade, "0009")
            assert await conn.run_sync(key) == ["chat_id"]
            rows = await conn.execute(text("SELECT chat_id, quiet FROM subscriber"))
            assert [tuple(r) for r in rows.all()] == [(5, True)]
            await conn.run_sync(upgrade, "head")
    finally:
        await engine.dispose()


async def test_the_fake_knows_forums_and_refuses_unknown_topics() -> None:
    from fake_telegram import LocalBotApi
    from fake_telegram.common import ApiError
    from fake_telegram.params import _Params

    api = LocalBotApi()
    raw = api.make_message("/latest", chat_type="supergroup", chat_id=FORUM, message_thread_id=7)
    message = raw["message"]
    assert message["message_thread_id"] == 7 and message["is_topic_message"] is True
    assert message["chat"]["is_forum"] is True
    sent = await api._send_message(_Params({"chat_id": FORUM, "text": "x", "message_thread_id": 7}))
    assert sent["message_thread_id"] == 7 and sent["is_topic_message"] is True
    with pytest.raises(ApiError, match="message thread not found"):
        await api._send_message(_Params({"chat_id": FORUM, "text": "x", "message_thread_id": 8}))
    api.close_topic(FORUM, 7)
    with pytest.raises(ApiError, match="message thread not found"):
        await api._send_message(_Params({"chat_id": FORUM, "text": "x", "message_thread_id": 7}))
    general = await api._send_message(_Params({"chat_id": FORUM, "text": "General"}))
    assert "message_thread_id" not in general
    with pytest.raises(ValueError, match="only supergroups"):
        api.make_message("/latest", chat_type="group", message_thread_id=3)


async def test_subscribers_page_by_chat_and_topic(database_url: str) -> None:
    """Keyset pages over (chat, topic) pairs miss and repeat nothing, whatever the batch size."""
    from store import ledger
    from store.db import create_engine, make_session_factory, upgrade_schema

    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        sessions = make_session_factory(engine)
        async with sessions() as session:
            for chat_id in (-1002, -1001, 5):
                for thread in (0, 3, 8):
                    session.add(
                        Subscriber(
                            chat_id=chat_id,
                            thread_id=thread,
                            chat_type="supergroup",
                            subscribed=True,
                            news=thread != 8,
                        )
                    )
            await session.commit()
        everyone = [(c, t) for c in (-1002, -1001, 5) for t in (0, 3, 8)]
        for batch in (1, 2, 4, 9, 50):
            pages = [p async for p in ledger.stream_subscribers(sessions, batch=batch)]
            assert [t.recipient for p in pages for t in p] == everyone
        news = await ledger.subscriber_page(sessions, after=(-1001, 0), news_only=True, batch=9)
        assert [t.recipient for t in news] == [(-1001, 3), (5, 0), (5, 3)]
    finally:
        await engine.dispose()


async def test_a_topic_subscribed_after_the_group_chose_a_language_gets_that_language(
    bot: Harness,
) -> None:
    bot.api.set_member(FORUM, 7001, "administrator")
    general = bot.chat(FORUM, user_id=7001, chat_type="supergroup", language_code="en")
    assert (await general.ask("/language uk")).plain == "Мову встановлено: Українська."
    topic = bot.chat(FORUM, user_id=7002, chat_type="supergroup", thread_id=5, language_code="ru")
    reply = await topic.ask("/subscribe 7:30")
    assert reply.message_thread_id == 5 and reply.plain.startswith("✅ Підписку оформлено")
    async with bot.sessions() as session:
        row = await session.get(Subscriber, (FORUM, 5))
    assert row is not None and row.language == "uk"  # its briefing is in Ukrainian too
