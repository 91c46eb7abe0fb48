"""Per-chat interests: `/subscribe … topics: exchanges, ceasefire` and the briefing they shape.

Runs on SQLite and, with TEST_POSTGRES_URL, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from store.models import Issue, Subscriber
from tests import factories
from tests.conftest import Harness, make_settings, start_harness
from tests.test_briefings import (
    MORNING,
    SINCE,
    add_subscriber,
    arrange_a_day_of_news,
    at_hours,
    briefings,
    wired,
)


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    """The seeded bot (its issues include ceasefire, nato and prisoners)."""
    async for harness in start_harness(make_settings(database_url)):
        yield harness
        assert harness.errors == [], harness.errors


async def interests_of(h: Harness, chat_id: int = 5001) -> tuple[bool, str | None] | None:
    async with h.sessions() as session:
        row = await session.get(Subscriber, (chat_id, 0))
        return None if row is None else (row.subscribed, row.interests)


async def test_subscribe_with_topics_and_change_them_in_settings(bot: Harness) -> None:
    chat = bot.chat(5001)
    reply = await chat.ask("/subscribe 7:30 Kyiv topics: exchanges, ceasefire, Truce")
    assert "a briefing every morning at 07:30 Kyiv time" in reply.plain
    assert "Topics: exchanges, Ceasefire (and their corrections)" in reply.plain
    assert await interests_of(bot) == (True, "kind:exchange,issue:ceasefire")

    reply = await chat.ask("/settings")
    assert "Topics: exchanges, Ceasefire" in reply.plain and "07:30 Kyiv" in reply.plain
    reply = await chat.ask("/settings topics nato, rounds, documents")
    assert "Topics: documents, rounds, NATO and neutrality" in reply.plain
    assert await interests_of(bot) == (True, "kind:document,kind:round,issue:nato")
    # /subscribe without topics keeps them; "all" follows everything again.
    await chat.ask("/subscribe 8:00")
    assert await interests_of(bot) == (True, "kind:document,kind:round,issue:nato")
    reply = await chat.ask("/settings topics all")
    assert "Topics: everything" in reply.plain
    assert await interests_of(bot) == (True, None)
    # As the lists take it: "усі", "все" (a topic named so was unknown).
    await chat.ask("/settings topics nato")
    reply = await chat.ask("/settings topics Усі")
    assert "Topics: everything" in reply.plain, reply.plain
    assert await interests_of(bot) == (True, None)
    # /subscribe takes "all" and "everything" as /settings does (it said "I don't know the topic").
    for everything in ("all", "everything", "усі", "все"):
        await chat.ask("/subscribe topics: nato")
        reply = await chat.ask(f"/subscribe 7:30 topics: {everything}")
        assert "Topics: everything" in reply.plain, reply.plain
        assert await interests_of(bot) == (True, None)


async def test_a_setting_named_without_a_value_asks_for_one_and_changes_nothing(
    bot: Harness,
) -> None:
    chat = bot.chat(5001)
    await chat.ask("/subscribe 7:30 Kyiv topics: nato")
    for typed, example in [
        ("/settings topics", "/settings topics exchanges, ceasefire"),  # used to reset to all
        ("/settings time", "/settings time 7:30"),  # used to say "couldn't read “”"
        ("/settings zone", "/settings zone London"),
        ("/settings quiet maybe", "/settings quiet on"),  # used to say "I can change … quiet"
        ("/settings notices", "/settings notices off"),
    ]:
        reply = await chat.ask(typed)
        assert reply.plain == f"Say what to set it to, e.g. {example}.", typed
    assert await interests_of(bot) == (True, "issue:nato")
    settings = (await chat.ask("/settings")).plain
    assert "Time: 07:30 Kyiv time" in settings and "Quiet (no notification sound): off" in settings


async def test_unknown_topics_are_refused_with_a_suggestion(bot: Harness) -> None:
    chat = bot.chat(5001)
    reply = await chat.ask("/subscribe 7:30 topics: exchanges, ceasfire")
    assert reply.plain.startswith("I don't know the topic “ceasfire”. Did you mean: ceasefire?")
    assert "exchanges, rounds, documents" in reply.plain
    assert await interests_of(bot) is None  # nothing stored
    reply = await chat.ask("/subscribe topics: <b>weather</b>")
    assert reply.plain.startswith("I don't know the topic “<b>weather</b>”.")
    await chat.ask("/subscribe")
    reply = await chat.ask("/settings topics exchanges, narnia")
    assert reply.plain.startswith("I don't know the topic “narnia”.")
    assert await interests_of(bot) == (True, None)
    reply = await bot.chat(5002).ask("/settings topics nato")
    assert reply.plain.startswith("Subscribe first")


async def test_a_briefing_carries_only_what_the_chat_follows_and_its_corrections(
    database_url: str,
) -> None:
    async with wired(database_url) as wire:
        async with wire.sessions() as session:
            session.add(Issue(key="ceasefire", name="Ceasefire", aliases="ceasefire, truce"))
            await session.commit()
        await arrange_a_day_of_news(wire.sessions)
        async with wire.sessions() as session:
            await factories.create_update(
                session,
                date=SINCE.date(),
                headline="Sides weigh a 30-day truce",
                created_at=at_hours(2),
            )
            await session.commit()
        for chat_id, interests in (
            (1, None),
            (2, "kind:exchange,issue:ceasefire"),
            (3, "issue:territory"),
            (4, "kind:update"),
        ):
            await add_subscriber(wire.sessions, chat_id, last_briefing_at=SINCE)
            async with wire.sessions() as session:
                row = await session.get(Subscriber, (chat_id, 0))
                assert row is not None
                row.interests = interests
                session.add(row)
                await session.commit()
        stats = await wire.run(MORNING)
        assert stats.sent == 4
        everything, followed, territory, updates = (
            "\n".join(m.plain for m in briefings(wire.api, c)) for c in (1, 2, 3, 4)
        )
        for headline in ("Memoranda exchanged", "Sides weigh a 30-day truce", "all of Donbas"):
            assert headline in everything
        assert "Second round" in everything and "1,000" in everything
        # Exchanges and the truce; not the memoranda, the stance or the round.
        assert "Sides weigh a 30-day truce" in followed and "1,000" in followed
        for headline in ("Memoranda exchanged", "all of Donbas", "Ciragan"):
            assert headline not in followed
        assert "all of Donbas" in territory and "truce" not in territory
        assert "Memoranda exchanged" not in territory
        # Corrections and retractions only of what a chat follows: the corrected update and the
        # retracted one reach the chats following everything or updates, not the others; the
        # exchange carried out since (a correction of an agreed one) reaches the exchanges chat.
        for text in (everything, updates):
            assert "Talks set for Istanbul on 2 June" in text  # a corrected update
            assert "Delegation left Moscow" in text and "misattributed" in text  # retracted
        for text in (followed, territory):
            assert "Talks set for Istanbul" not in text
            assert "Delegation left Moscow" not in text and "misattributed" not in text
        assert "390" in everything and "390" in followed
        assert "390" not in territory and "390" not in updates
        assert "all of Donbas" not in updates and "1,000" not in updates


async def test_brief_shows_what_the_chat_follows(bot: Harness) -> None:
    chat = bot.chat(5001)
    everything = "\n".join(m.plain for m in await chat.send("/brief"))
    assert "📰 New updates" in everything and "📄 Documents" in everything
    await chat.ask("/subscribe topics: documents")
    followed = "\n".join(m.plain for m in await chat.send("/brief"))
    assert "📄 Documents" in followed and "Russia's draft memorandum" in followed
    for heading in ("📰 New updates", "🧭 Position changes", "🤝 Rounds of talks"):
        assert heading not in followed
