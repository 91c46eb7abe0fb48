"""Hostile input through the real Application: bounded numbers, forged buttons, ignored updates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from kinds.queries import count_facts
from kinds.transfer import import_bytes
from store import queries
from tests.conftest import Harness
from tests.support import run_cli

HUGE = "9" * 30
CHAT = 5001


async def _press(bot: Harness, data: str) -> list[str | None]:
    """Press forged `data` on the bot's last message; return the callback answers' texts."""
    message = bot.api.last(CHAT)
    raw = bot.api.make_callback(message.message_id, data, chat_id=CHAT, check_button=False)
    before = len(bot.api.callback_answers)
    await bot.app.process_update(Update.de_json(raw, bot.app.bot))
    return [a.text for a in bot.api.callback_answers[before:]]


async def test_numbers_a_user_types_are_bounded(seeded_bot: Harness) -> None:
    chat = seeded_bot.chat(CHAT)
    assert "“²” is not a number of updates" in (await chat.ask("/latest ²")).plain
    assert "I can show 1 to" in (await chat.ask(f"/latest {HUGE}")).plain
    editor = seeded_bot.chat(42)
    assert len(await editor.send("/history U²")) == 1  # a usage answer, not a ValueError
    assert seeded_bot.errors == []


@pytest.mark.parametrize(
    ("command", "forged"),
    [
        ("/latest 3", f"latest:3:0:{HUGE}"),
        ("/latest 3", f"latest:{HUGE}:0:3"),
        ("/latest 3", f"latest:3:{HUGE}:0"),
        ("/latest 3", "latest:3:0:²"),
        ("/search the", f"search:the:{HUGE}"),
        ("/positions", f"pos:now:p{HUGE}:0"),
        ("/positions", f"pos:hist:{HUGE}:0"),
        ("/rounds", f"rounds:{HUGE}"),
        ("/exchanges", f"exch:{HUGE}"),
    ],
)
async def test_forged_page_buttons_with_huge_numbers_are_answered(
    seeded_bot: Harness, command: str, forged: str
) -> None:
    chat = seeded_bot.chat(CHAT)
    await chat.send(command)
    answers = await _press(seeded_bot, forged)
    assert len(answers) == 1, answers
    assert seeded_bot.errors == []


async def test_unknown_button_data_is_answered_as_expired(seeded_bot: Harness) -> None:
    await seeded_bot.chat(CHAT).send("/rounds")
    shown = seeded_bot.api.last(CHAT).plain
    answers = await _press(seeded_bot, "nonsense:1")
    assert len(answers) == 1 and "This button has expired" in (answers[0] or "")
    assert seeded_bot.api.last(CHAT).plain == shown  # nothing was edited


def _as(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    message = raw.pop("message")
    if kind == "channel_post":
        message["chat"] = {"id": -100777, "type": "channel", "title": "Peace news"}
        message.pop("from", None)
        message["sender_chat"] = message["chat"]
    raw[kind] = message
    return raw


@pytest.mark.parametrize("kind", ["edited_message", "channel_post", "edited_channel_post"])
async def test_edited_messages_and_channel_posts_are_ignored(
    seeded_bot: Harness, kind: str
) -> None:
    api = seeded_bot.api
    raw = _as(kind, api.make_message("/latest 2", chat_id=CHAT, user_id=CHAT))
    chat_id = raw[kind]["chat"]["id"]
    await seeded_bot.app.process_update(Update.de_json(raw, seeded_bot.app.bot))
    assert api.sent(chat_id) == []
    # The same command as a new message is answered: the policy, not a broken handler.
    answered = await seeded_bot.chat(CHAT).ask("/latest 2")
    assert "Latest updates (1–2" in answered.plain


BAD_FILES = {
    "deep": (b"[" * 5000 + b"]" * 5000, "nested more than"),
    "huge count": (
        b'{"parties": [{"key": "ua", "name": "Ukraine"}], "exchanges": [{"date": "2025-05-16",'
        b' "returned": {"ua": 1000000000000000000000000000000}}]}',
        "exchanges[0]: returned.ua: Input should be less than or equal to 2147483647",
    ),
    "duplicate party": (
        b'{"parties": [{"key": "ua", "name": "Ukraine"}, {"key": "ru", "name": "Russia"},'
        b' {"key": "ua", "name": "Ukraina"}]}',
        "parties[2] (ua): key “ua” appears twice",
    ),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
async def test_hostile_imports_are_refused_and_write_nothing(empty_bot: Harness, name: str) -> None:
    content, problem = BAD_FILES[name]
    async with empty_bot.sessions() as session:
        report = await import_bytes(session, content)
    assert not report.ok and any(problem in e for e in report.errors), report.errors
    async with empty_bot.sessions() as session:
        assert await queries.parties_and_issues(session) == []
        assert not any((await count_facts(session)).values())


def test_the_import_command_refuses_deep_json_in_one_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(BAD_FILES["deep"][0])
    done = run_cli(
        "import", str(deep), cwd=tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/i.db"
    )
    assert done.returncode == 1, done.stderr
    assert "nested more than" in done.stdout and "nothing was written" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
