"""A guided /add cannot be saved without a source: the form asks for it and Save refuses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from kinds.update import NewsUpdate
from store.models import Draft
from tests.conftest import Harness, make_settings, start_harness
from tests.test_admin import EDITOR, labels, press, save


@pytest.fixture
async def any_bot(database_url: str) -> AsyncIterator[Harness]:
    """The seeded bot on SQLite and PostgreSQL, with user 42 as the only editor."""
    settings = make_settings(database_url, admin_ids=frozenset({EDITOR}))
    async for harness in start_harness(settings):
        yield harness
        assert harness.errors == [], harness.errors


async def _headlines(h: Harness) -> list[str]:
    async with h.sessions() as session:
        return list((await session.exec(select(NewsUpdate.headline))).all())


async def test_guided_add_asks_for_a_source_until_one_is_given(any_bot: Harness) -> None:
    chat = any_bot.chat(EDITOR)
    assert "Headline?" in (await chat.ask("/add")).plain
    assert "When?" in (await chat.ask("Talks resume in Geneva")).plain
    assert "summary" in (await chat.ask("2 June 2025")).plain.lower()
    source_prompt = (await chat.ask("/skip")).plain
    assert source_prompt.startswith("Source? A name and/or a link")
    assert "/skip" not in source_prompt
    refused = (await chat.ask("/skip")).plain
    assert refused.startswith("source is needed. Source?"), refused
    assert "Tags" in (await chat.ask("Reuters https://www.reuters.com/world/x")).plain
    shown = await chat.ask("/skip")
    assert labels(shown) == ["✅ Save", "✏️ Edit", "✖️ Cancel", "🌐 Translate"], shown.plain
    assert "Source: Reuters" in shown.plain and "No source on file" not in shown.plain
    answer, _ = await save(chat, shown)
    assert answer.startswith("Saved as U")
    assert "Talks resume in Geneva" in await _headlines(any_bot)


async def test_one_shot_form_without_source_is_refused(any_bot: Harness) -> None:
    chat = any_bot.chat(EDITOR)
    before = await _headlines(any_bot)
    answer = (await chat.ask("/add Talks resume in Geneva\ndate: 2 June 2025")).plain
    assert answer.startswith("Nothing was stored. Please fix:\n• Missing: source.")
    assert await _headlines(any_bot) == before


async def test_save_of_a_preview_without_source_refuses_clearly(any_bot: Harness) -> None:
    """A preview stored before sources were required (no source in it) cannot be saved."""
    chat = any_bot.chat(EDITOR)
    shown = await chat.ask("/add Talks resume in Geneva\ndate: 2 June 2025\nsource: AP")
    async with any_bot.sessions() as session:
        draft = (await session.exec(select(Draft).order_by(col(Draft.id).desc()))).first()
        assert draft is not None and draft.action == "create"
        payload = json.loads(draft.payload)
        payload["item"]["sources"] = []
        draft.payload = json.dumps(payload)
        session.add(draft)
        await session.commit()
    before = await _headlines(any_bot)
    out, answer = await press(chat, shown, "Save")
    assert answer.startswith("Not saved: every fact needs a source. Press ✏️ Edit"), answer
    assert out == [] and await _headlines(any_bot) == before
