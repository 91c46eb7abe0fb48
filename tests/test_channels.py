"""Channels: editors connect a channel the bot administers; briefings and news are posted there.

Runs on SQLite and, with TEST_POSTGRES_URL, on PostgreSQL: the commands through the real
Application and the in-process fake, the posts over HTTP to the fake server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from services.delivery import send_broadcast
from store.broadcasts import create_broadcast
from store.models import Subscriber
from tests.conftest import Chat, Harness, make_settings, start_harness
from tests.test_briefings import MORNING, add_subscriber, wired

EDITOR = 42


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    """The seeded bot, user 42 its editor."""
    async for harness in start_harness(make_settings(database_url)):
        yield harness
        assert harness.errors == [], harness.errors


def editor(h: Harness) -> Chat:
    return h.chat(EDITOR, user_id=EDITOR)


async def channel_rows(h: Harness) -> list[tuple[int, str | None, dt.time | None, bool, bool]]:
    async with h.sessions() as session:
        rows = await session.exec(
            select(Subscriber)
            .where(Subscriber.chat_type == "channel")
            .order_by(col(Subscriber.username))
        )
        return [(r.chat_id, r.username, r.briefing_time, r.news, r.subscribed) for r in rows]


async def test_an_editor_connects_lists_and_removes_a_channel(bot: Harness) -> None:
    talks = bot.api.add_channel("PeaceTalksDaily", title="Peace <talks> daily")
    reply = await editor(bot).ask("/channel add @peacetalksdaily 7:15 news")
    assert reply.plain.splitlines() == [
        "📢 Connected @PeaceTalksDaily (Peace <talks> daily): the morning briefing at "
        "07:15 Kyiv time.",
        "Breaking news: posted there too.",
    ]
    assert await channel_rows(bot) == [(talks, "PeaceTalksDaily", dt.time(7, 15), True, True)]
    quiet = bot.api.add_channel("briefonly")
    reply = await editor(bot).ask("/channel add @briefonly")
    assert "the morning briefing at 08:00 Kyiv time" in reply.plain  # BRIEFING_TIME
    assert "Breaking news: not posted there" in reply.plain

    reply = await editor(bot).ask("/channel list")
    assert reply.plain.splitlines() == [
        "📢 Connected channels",
        "• @PeaceTalksDaily — 07:15 Kyiv time, breaking news too",
        "• @briefonly — 08:00 Kyiv time, briefing only",
    ]
    reply = await editor(bot).ask("/channel remove @BRIEFONLY")
    assert reply.plain == "Disconnected @briefonly: nothing more is posted there."
    assert [r[:2] + r[4:] for r in await channel_rows(bot)] == [
        (talks, "PeaceTalksDaily", True),
        (quiet, "briefonly", False),
    ]
    reply = await editor(bot).ask("/channel remove @briefonly")
    assert reply.plain == "@briefonly is not connected. /channel list shows those that are."


@pytest.mark.parametrize(
    ("arrange", "name", "answer"),
    [
        (lambda api: None, "nosuchchannel", "I can't find a channel @nosuchchannel."),
        (
            lambda api: api.add_channel("memberonly", bot_status="member"),
            "memberonly",
            "I'm not an administrator of @memberonly. Add me as an administrator",
        ),
        (
            lambda api: api.add_channel("gone", bot_status="left"),
            "gone",
            "I'm not an administrator of @gone.",
        ),
        (
            lambda api: api.add_channel("readonly", can_post_messages=False),
            "readonly",
            "I'm an administrator of @readonly but may not post messages there.",
        ),
    ],
)
async def test_a_channel_the_bot_cannot_post_to_is_refused(
    bot: Harness, arrange: object, name: str, answer: str
) -> None:
    arrange(bot.api)  # type: ignore[operator]
    reply = await editor(bot).ask(f"/channel add @{name} 7:00 news")
    assert reply.plain.startswith(answer)
    assert await channel_rows(bot) == []


async def test_channel_commands_are_for_editors_and_check_their_input(bot: Harness) -> None:
    bot.api.add_channel("peacetalksdaily")
    reply = await bot.chat(5001).ask("/channel add @peacetalksdaily")
    assert reply.plain == "This command is for editors."
    assert await channel_rows(bot) == []
    assert "Usage: /channel add @name" in (await editor(bot).ask("/channel")).plain
    assert (await editor(bot).ask("/channel add")).plain.startswith("Which channel?")
    assert (await editor(bot).ask("/channel add @x!")).plain.startswith("Which channel?")
    reply = await editor(bot).ask("/channel add @peacetalksdaily 25:99")
    assert reply.plain.startswith("I couldn't read “25:99” as a time of day")
    reply = await editor(bot).ask("/channel add @peacetalksdaily 7:00 Narnia")
    assert reply.plain == "I don't know the time zone “Narnia”."
    assert (await editor(bot).ask("/channel list")).plain.startswith("No channel is connected")
    assert await channel_rows(bot) == []


async def test_channels_get_the_briefing_and_only_news_channels_the_news(
    database_url: str,
) -> None:
    async with wired(database_url, admin_ids=frozenset({EDITOR})) as wire:
        news = wire.api.add_channel("newschannel")
        brief = wire.api.add_channel("briefchannel")
        await add_subscriber(wire.sessions, 5001)
        await wire.send(EDITOR, "/channel add @newschannel 8:00 news")
        await wire.send(EDITOR, "/channel add @briefchannel 8:00")
        stats = await wire.run(MORNING)
        assert stats.sent == 3
        for chat_id in (news, brief, 5001):
            (post,) = wire.api.sent(chat_id)
            assert post.plain.startswith("☀️ Morning briefing · Mon 2 Jun 2025")
            assert post.message_thread_id is None
        async with wire.sessions() as session:
            broadcast_id = await create_broadcast(
                session, text="<b>Ceasefire agreed</b>", created_by=EDITOR
            )
        done = await send_broadcast(
            wire.app.bot, wire.sessions, wire.settings, broadcast_id=broadcast_id
        )
        assert done.sent == 2
        assert [m.plain for m in wire.api.sent(news)][-1] == "Ceasefire agreed"
        assert [m.plain for m in wire.api.sent(5001)][-1] == "Ceasefire agreed"
        assert len(wire.api.sent(brief)) == 1  # the briefing only

        # The bot loses its rights: posts are refused and the channel is paused once it persists.
        wire.api.add_channel("newschannel", chat_id=news, bot_status="member")
        async with wire.sessions() as session:
            again = await create_broadcast(session, text="Second round set", created_by=EDITOR)
        done = await send_broadcast(wire.app.bot, wire.sessions, wire.settings, broadcast_id=again)
        assert (done.sent, done.blocked) == (1, 1)


async def test_a_channel_gets_its_briefing_in_the_language_the_editor_names(
    database_url: str,
) -> None:
    async with wired(database_url, admin_ids=frozenset({EDITOR})) as wire:
        kyiv = wire.api.add_channel("kyivchannel")
        await wire.send(EDITOR, "/channel add @kyivchannel 8:00 uk")
        assert wire.api.sent(EDITOR)[-1].plain.startswith("📢 Connected @kyivchannel")
        assert (await wire.run(MORNING)).sent == 1
        (post,) = wire.api.sent(kyiv)
        assert post.plain.startswith("☀️ Ранкове зведення · пн, 2 черв. 2025"), post.plain[:80]
