"""Inline mode: `@bot words` offers fact cards to share, through the real Application and fake.

Runs on SQLite and, with TEST_POSTGRES_URL, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Update

from core.cache import TTLCache
from fake_telegram import LocalBotApi
from fake_telegram.common import ApiError
from fake_telegram.params import _Params
from store.models import Source
from tests.conftest import Harness, make_settings, start_harness
from tests.factories import create_update

BOT = "BriefingTestBot"
SWAP = "Russia and Ukraine complete the 1,000-for-1,000 prisoner exchange <in full>"
SWAP_URL = "https://www.reuters.com/world/swap?id=1&part=2"


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    """An unseeded bot holding one sourced exchange update and 30 dated filler updates."""
    settings = make_settings(database_url, seed_on_empty=False)
    async for harness in start_harness(settings):
        async with harness.sessions() as session:
            source = Source(name="Reuters & AP", url=SWAP_URL, published=dt.date(2025, 5, 25))
            session.add(source)
            await session.flush()
            assert source.id is not None
            await create_update(
                session,
                date=dt.date(2025, 5, 25),
                headline=SWAP,
                summary="The largest swap of the war ends with 1,000 people returned each way.",
                source_ids=[source.id],
            )
            for day in range(1, 31):
                await create_update(
                    session,
                    date=dt.date(2025, 6, day),
                    headline=f"Filler news of {day} June",
                    summary="Talks go on.",
                )
            await session.commit()
        yield harness
        assert harness.errors == [], harness.errors


async def ask_inline(h: Harness, query: str, offset: str = "") -> Any:
    """Type `@bot query` (at `offset`); return the answer the fake accepted."""
    before = len(h.api.inline_answers)
    raw = h.api.make_inline_query(query, offset=offset)
    await h.app.process_update(Update.de_json(raw, h.app.bot))
    assert len(h.api.inline_answers) == before + 1, h.errors
    return h.api.inline_answers[-1]


def message_of(result: dict[str, Any]) -> str:
    return str(result["input_message_content"]["message_text"])


async def test_search_offers_the_fact_card_with_date_source_and_open_button(bot: Harness) -> None:
    answer = await ask_inline(bot, "1000 exchange")
    assert answer.is_personal is False and answer.cache_time == 60
    assert answer.next_offset in (None, "")
    (card,) = answer.results
    assert card["type"] == "article" and card["id"] == "U1"
    assert card["title"].startswith("📅 Sun 25 May 2025 — Russia and Ukraine complete the 1,000")
    assert "<in full>" in card["title"]  # plain text: shown as typed, not as markup
    assert card["description"].startswith("The largest swap of the war")
    text = message_of(card)
    assert card["input_message_content"]["parse_mode"] == "HTML"
    assert "Sun 25 May 2025" in text and "U1" in text
    assert "&lt;in full&gt;" in text  # the stored string escaped
    assert f'<a href="{SWAP_URL.replace("&", "&amp;")}">Reuters &amp; AP</a>' in text
    ((button,),) = card["reply_markup"]["inline_keyboard"]
    assert button == {"text": "Open in bot", "url": f"https://t.me/{BOT}?start=U1"}


async def test_a_fact_id_offers_that_fact_and_nothing_else(bot: Harness) -> None:
    answer = await ask_inline(bot, "U1")
    assert [r["id"] for r in answer.results] == ["U1"]
    assert "1,000-for-1,000" in message_of(answer.results[0])
    assert (await ask_inline(bot, "u1")).results[0]["id"] == "U1"
    missing = await ask_inline(bot, "U999")
    assert missing.results == [] and missing.next_offset in (None, "")


async def test_empty_query_offers_the_newest_facts_and_pages(bot: Harness) -> None:
    first = await ask_inline(bot, "")
    assert len(first.results) == 20 and first.next_offset == "20"
    assert first.results[0]["title"].startswith("📅 Mon 30 Jun 2025 — Filler news of 30 June")
    assert first.results[19]["title"].startswith("📅 Wed 11 Jun 2025")
    second = await ask_inline(bot, "", offset="20")
    titles = [r["title"] for r in second.results]
    assert len(titles) == 11 and second.next_offset in (None, "")
    assert titles[0].startswith("📅 Tue 10 Jun 2025") and "1,000-for-1,000" in titles[-1]
    ids = [r["id"] for r in first.results + second.results]
    assert len(set(ids)) == 31  # no fact twice across the pages
    # An offset the bot never gave starts over instead of failing.
    assert (await ask_inline(bot, "", offset="abc")).results[0]["id"] == first.results[0]["id"]


async def test_answers_are_cached_per_query(bot: Harness) -> None:
    before = (await ask_inline(bot, "filler")).results
    async with bot.sessions() as session:
        await create_update(session, date=dt.date(2025, 7, 1), headline="Filler news of July")
        await session.commit()
    # Within the TTL the same query gets the same cards; another query sees the new fact.
    assert (await ask_inline(bot, "filler")).results == before
    assert (await ask_inline(bot, "july")).results[0]["title"].endswith("Filler news of July")


def test_ttl_cache_drops_the_oldest_and_the_expired() -> None:
    now = [0.0]
    cache: TTLCache[str, int] = TTLCache(size=2, ttl=10, clock=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    now[0] = 10.0
    assert cache.get("a") is None and len(cache) == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"title": ""}, "ARTICLE_TITLE_EMPTY"),
        ({"input_message_content": {"message_text": "<b>open", "parse_mode": "HTML"}}, "parse"),
        ({"input_message_content": {"message_text": "x" * 4097}}, "message is too long"),
        ({"input_message_content": {}}, "message_text is required"),
    ],
)
async def test_fake_refuses_broken_articles(change: dict[str, Any], error: str) -> None:
    api = LocalBotApi()
    query_id = api.make_inline_query("talks")["inline_query"]["id"]
    article = {
        "type": "article",
        "id": "U1",
        "title": "t",
        "input_message_content": {"message_text": "fine"},
        **change,
    }
    with pytest.raises(ApiError, match=error):
        await api._answer_inline_query(
            _Params({"inline_query_id": query_id, "results": json.dumps([article])})
        )
    with pytest.raises(ApiError, match="NEXT_OFFSET_INVALID"):
        await api._answer_inline_query(
            _Params({"inline_query_id": query_id, "results": "[]", "next_offset": "9" * 65})
        )
    assert api.inline_answers == []
