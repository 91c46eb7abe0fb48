"""Editors curate facts from the chat, end to end through the real Application.

Every test drives the wired bot (handlers, JobQueue, database) with real
Updates against the strict fake Bot API (`fake_telegram`), which refuses HTML Telegram would
refuse, over-long texts and callback answers, and answers to unknown callback queries; the
fixtures fail a test on any handler error.  The editor is user 42 (ADMIN_IDS); user 777 is not.

What is checked is what people read (previews, replies, callback answers, menus) and what the
database holds before and after (facts, parties, issues, drafts, audit entries).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, func, select
from telegram import Update

import handlers.open_forms
from fake_telegram import CallbackAnswer, SentMessage
from kinds.document import Document
from kinds.exchange_tables import Exchange, ExchangeCount
from kinds.export import export_dataset
from kinds.position_chain import Position
from kinds.round import TalkRound
from kinds.transfer import import_bytes
from kinds.update import NewsUpdate
from store.db import create_engine, make_session_factory, upgrade_schema
from store.models import AuditEntry, Citation, Draft, Issue, Party, SearchDoc, Source
from tests.conftest import Chat, Harness, make_settings, start_harness
from tests.support import REPO, run_cli
from tests.test_commands import headlines

EXAMPLE_FILE = REPO / "docs" / "examples" / "import-example.json"
KYIV = ZoneInfo("Europe/Kyiv")
EDITOR = 42
OUTSIDER = 777
GROUP = -1001234567890
NOT_AN_EDITOR = "This command is for editors."
ADMIN_NAMES = {"add", "position", "exchange", "round", "edit", "retract", "history", "import"}
ADMIN_NAMES |= {"export"}
COUNTED = (
    NewsUpdate,
    Position,
    Exchange,
    ExchangeCount,
    TalkRound,
    Party,
    Issue,
    Source,
    Citation,
    SearchDoc,
    AuditEntry,
    Draft,
)

# The issue's four examples, verbatim except that "https://..." (no valid host) becomes a
# real-looking link; the /add example keeps its Reuters link exactly as written.
ADD = (
    "/add Russia hands Ukraine a draft peace memorandum\n"
    "date: 2 June 2025\n"
    "source: Reuters https://www.reuters.com/world/...\n"
    "tags: Russia, Ukraine, memorandum"
)
# Without `supersedes:` the preview asks whether it replaces Russia's seed stance on NATO.
POSITION_ASKED = (
    "/position\n"
    "party: Russia\n"
    "issue: NATO\n"
    "stance: Ukraine must drop its NATO ambitions\n"
    "date: 14 June 2024\n"
    "source: https://example.org/a"
)
POSITION = POSITION_ASKED + "\nsupersedes: none"
EXCHANGE = (
    "/exchange\n"
    "date: 23 May 2025\n"
    "returned: Ukraine 390, Russia 390\n"
    "categories: soldiers, civilians\n"
    "mediator: Belarus border\n"
    "status: completed\n"
    "note: first stage of the 1000-for-1000 exchange\n"
    "source: https://example.org/b"
)
ROUND = (
    "/round\n"
    "date: 2 June 2025\n"
    "place: Istanbul, Ciragan Palace\n"
    "mediator: Turkey (Hakan Fidan)\n"
    "delegations: Ukraine: Rustem Umerov; Russia: Vladimir Medinsky\n"
    "duration: about an hour\n"
    "outcome: exchange of severely wounded and young prisoners agreed; Russia hands over a "
    "draft memorandum\n"
    "source: https://example.org/c"
)
HEADLINE = "Russia hands Ukraine a draft peace memorandum"
STANCE = "Ukraine must drop its NATO ambitions"


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture
async def bot(sqlite_url: str) -> AsyncIterator[Harness]:
    """The seeded bot on SQLite, with user 42 as the only editor."""
    settings = make_settings(sqlite_url, admin_ids=frozenset({EDITOR}))
    async for harness in start_harness(settings):
        yield harness
        assert harness.errors == [], harness.errors


@pytest.fixture
async def any_bot(database_url: str) -> AsyncIterator[Harness]:
    """The seeded bot on SQLite and (with TEST_POSTGRES_URL) on PostgreSQL."""
    settings = make_settings(database_url, admin_ids=frozenset({EDITOR}))
    async for harness in start_harness(settings):
        yield harness
        assert harness.errors == [], harness.errors


# ------------------------------------------------------------------------------------ helpers


def day(d: dt.date) -> str:
    """A date as the bot writes it, e.g. 'Mon 2 Jun 2025' (written independently of the bot)."""
    return f"{d:%a} {d.day} {d:%b %Y}"


def kyiv_today() -> dt.date:
    return dt.datetime.now(KYIV).date()


def labels(message: SentMessage) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


def editor(h: Harness) -> Chat:
    return h.chat(EDITOR)


def outsider(h: Harness) -> Chat:
    return h.chat(OUTSIDER)


async def counts(h: Harness) -> dict[str, int]:
    """Rows per table, to prove that something did or did not write."""
    async with h.sessions() as session:
        return {
            m.__name__: (await session.exec(select(func.count()).select_from(m))).one()
            for m in COUNTED
        }


def grew(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Tables whose row count changed, with the difference."""
    return {k: after[k] - before[k] for k in before if after[k] != before[k]}


async def rows(h: Harness, model: Any, *where: Any) -> list[Any]:
    async with h.sessions() as session:
        return list((await session.exec(select(model).where(*where).order_by(model.id))).all())


async def one(h: Harness, model: Any, fact_id: int) -> Any:
    async with h.sessions() as session:
        found = await session.get(model, fact_id)
    assert found is not None
    return found


async def newest(h: Harness, model: Any) -> Any:
    async with h.sessions() as session:
        return (await session.exec(select(model).order_by(col(model.id).desc()))).first()


async def audit_of(h: Harness, kind: str, fact_id: int) -> list[AuditEntry]:
    return await rows(h, AuditEntry, AuditEntry.fact_kind == kind, AuditEntry.fact_id == fact_id)


async def drafts(h: Harness) -> list[Draft]:
    return await rows(h, Draft)


async def preview(chat: Chat, text: str) -> SentMessage:
    """Send a form; it must come back as one preview with Save / Edit / Cancel."""
    message = await chat.ask(text)
    assert labels(message) == ["✅ Save", "✏️ Edit", "✖️ Cancel", "🌐 Translate"], message.plain
    return message


async def press(chat: Chat, message: SentMessage, label: str) -> tuple[list[SentMessage], str]:
    """Press a button; return the bot's new messages and edits, and the callback's answer."""
    answers = chat.bot.api.callback_answers
    before = len(answers)
    out = await chat.press(message, label)
    assert len(answers) == before + 1, "the button press was not answered exactly once"
    return out, answers[-1].text or ""


async def press_again(
    chat: Chat, message: SentMessage, label: str
) -> tuple[list[SentMessage], str]:
    """Press a button of `message` as it was first shown, although the bot has since edited it
    (a second tap that was on its way, or a chat that still showed the old buttons)."""
    (data,) = [d for row in message.buttons for text, d in row if label in text]
    h = chat.bot
    before = len(h.api.callback_answers)
    raw = h.api.make_callback(
        message.message_id,
        data,
        chat_id=chat.chat_id,
        user_id=chat.user_id or chat.chat_id,
        check_button=False,
    )
    sent = len(h.api.sent(chat.chat_id))
    await h.app.process_update(Update.de_json(raw, h.app.bot))
    assert len(h.api.callback_answers) == before + 1
    return h.api.sent(chat.chat_id)[sent:], h.api.callback_answers[-1].text or ""


async def save(chat: Chat, message: SentMessage, label: str = "Save") -> tuple[str, SentMessage]:
    """Press Save (or Retract); return the answer and the preview as edited."""
    out, answer = await press(chat, message, label)
    assert len(out) == 1 and out[0].edited and out[0].message_id == message.message_id, out
    return answer, out[0]


async def add_and_save(chat: Chat, text: str) -> tuple[str, SentMessage]:
    return await save(chat, await preview(chat, text))


def ref_of(answer: str) -> str:
    """'Saved as U13.' -> 'U13'."""
    assert answer.startswith("Saved as ") and answer.endswith("."), answer
    return answer.removeprefix("Saved as ").rstrip(".")


def refused_logs(caplog: pytest.LogCaptureFixture, user_id: int) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and f"user_id={user_id}" in r.getMessage()
    ]


async def upload(
    h: Harness,
    content: bytes,
    file_name: str,
    *,
    user_id: int = EDITOR,
    caption: str | None = "/import",
) -> list[SentMessage]:
    """Send a document (as Telegram delivers it: file_id, then getFile and download)."""
    before = len(h.api.sent(user_id))
    raw = h.api.make_document_message(
        content, file_name, caption=caption, chat_id=user_id, user_id=user_id
    )
    await h.app.process_update(Update.de_json(raw, h.app.bot))
    return h.api.sent(user_id)[before:]


async def fresh_store(path: Path) -> Any:
    """An empty, migrated SQLite store of our own (engine, session factory)."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await upgrade_schema(engine)
    return engine, make_session_factory(engine)


def comparable(export: dict[str, Any]) -> dict[str, Any]:
    """An export without the fields that say when and by what it was made."""
    return {k: v for k, v in export.items() if k not in ("exported_at", "title")}


# ------------------------------------------------------------------------------------ who may


async def test_admin_commands_are_in_the_menu_of_editors_only(bot: Harness) -> None:
    editors = {c["command"] for c in bot.api.commands(scope={"type": "chat", "chat_id": EDITOR})}
    public = {c["command"] for c in bot.api.commands()}
    assert editors >= ADMIN_NAMES
    assert {"latest", "positions", "exchanges", "rounds", "search", "help"} <= editors & public
    assert not ADMIN_NAMES & public
    assert bot.api.commands(scope={"type": "chat", "chat_id": OUTSIDER}) == []
    for scope in ("all_private_chats", "all_group_chats"):
        names = {c["command"] for c in bot.api.commands(scope={"type": scope})}
        assert not ADMIN_NAMES & names, scope


async def test_an_editors_help_lists_the_editors_commands_and_a_readers_does_not(
    bot: Harness,
) -> None:
    editor = (await bot.chat(EDITOR, user_id=EDITOR).ask("/help")).plain
    assert "\n\nFor editors\n/add — add a news update (preview, then Save)\n" in editor
    assert "/edit — correct a fact\n   e.g. /edit U12 + field: value lines" in editor
    assert "/retract — retract a fact, with a reason\n   e.g. /retract U12 wrong date" in editor
    assert all(f"\n/{name} — " in editor for name in ADMIN_NAMES)
    reader = (await bot.chat(OUTSIDER, user_id=OUTSIDER).ask("/help")).plain
    assert "For editors" not in reader and "/edit" not in reader
    assert reader == editor.split("\n\nFor editors")[0]


async def test_non_editors_are_refused_in_one_line_and_nothing_changes(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    before = await counts(bot)
    attempts = [
        ADD,
        POSITION,
        EXCHANGE,
        ROUND,
        "/add",
        "/exchange",
        "/edit U1\ndate: 3 June 2025",
        "/retract U1 it was wrong",
        "/history U1",
        "/import",
        "/export",
    ]
    chat = outsider(bot)
    for text in attempts:
        replies = await chat.send(text)
        # A reader who typed /exchange (or /position, /round) is pointed at the readers' list.
        plural = text.split(maxsplit=1)[0] + "s"
        hint = (
            f" Did you mean {plural}?" if plural[1:] in ("positions", "exchanges", "rounds") else ""
        )
        assert [r.plain for r in replies] == [NOT_AN_EDITOR + hint], text
        assert replies[0].buttons == []
    # A JSON file with the caption /import is refused the same way, and never downloaded.
    replies = await upload(bot, EXAMPLE_FILE.read_bytes(), "facts.json", user_id=OUTSIDER)
    assert [r.plain for r in replies] == [NOT_AN_EDITOR]
    assert not any(method.lower() == "getfile" for method, _ in bot.api.calls)
    assert bot.api.documents(OUTSIDER) == []
    # A refused /add starts no conversation: the next plain text is free text, not an answer.
    assert (await chat.ask("Some headline")).plain.startswith("I answer commands")
    assert await counts(bot) == before
    assert len(refused_logs(caplog, OUTSIDER)) == len(attempts) + 1


async def test_a_non_editor_in_a_group_cannot_press_or_forge_an_editors_buttons(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    admin_in_group = bot.chat(GROUP, user_id=EDITOR, chat_type="supergroup")
    other_in_group = bot.chat(GROUP, user_id=OUTSIDER, chat_type="supergroup")
    shown = await preview(admin_in_group, ADD)
    before = await counts(bot)
    sent_before = len(bot.api.sent(GROUP))

    for label in ("Save", "Edit", "Cancel"):
        out, answer = await press(other_in_group, shown, label)
        assert out == [] and answer == NOT_AN_EDITOR
        assert bot.api.callback_answers[-1].show_alert
    # Forged callback data: the Save of this draft, sent from a message that has no buttons.
    help_message = (await admin_in_group.send("/help"))[0]
    (draft,) = await drafts(bot)
    for data in (f"draft:save:{draft.id}", f"draft:cancel:{draft.id}", "draft:save:99999"):
        raw = bot.api.make_callback(
            help_message.message_id, data, chat_id=GROUP, user_id=OUTSIDER, check_button=False
        )
        await bot.app.process_update(Update.de_json(raw, bot.app.bot))
        assert bot.api.callback_answers[-1].text == NOT_AN_EDITOR

    assert await counts(bot) == before
    assert [d.status for d in await drafts(bot)] == ["pending"]
    assert len(bot.api.sent(GROUP)) == sent_before + 1  # only the /help reply; no edits
    assert len(refused_logs(caplog, OUTSIDER)) == 6
    # The editor's own Save still works afterwards.
    answer, _ = await save(admin_in_group, shown)
    assert answer.startswith("Saved as U")
    assert grew(before, await counts(bot))["NewsUpdate"] == 1


# ------------------------------------------------------------------------------------ one-shot


async def test_add_example_previews_then_saves_and_shows_everywhere(bot: Harness) -> None:
    chat = editor(bot)
    before = await counts(bot)
    shown = await preview(chat, ADD)
    assert shown.plain.splitlines() == [
        "📝 Preview: new update — not saved yet",
        "Tags: Russia, Ukraine, memorandum",
        "",
        f"📅 Mon 2 Jun 2025 — {HEADLINE}",
        "Source: Reuters",
    ]
    assert any(
        e.get("url", "").startswith("https://www.reuters.com/world/") for e in shown.entities
    )
    # Nothing is written before Save: only the draft.
    assert grew(before, await counts(bot)) == {"Draft": 1}

    pressed_at = dt.datetime.now(dt.UTC)
    answer, done = await save(chat, shown)
    row = await newest(bot, NewsUpdate)
    assert answer == f"Saved as U{row.id}."
    assert done.plain.startswith(f"✅ Saved as U{row.id} — it now shows in /latest and /search.")
    assert done.buttons == []
    assert (row.date, row.headline, row.tags, row.summary) == (
        dt.date(2025, 6, 2),
        HEADLINE,
        "Russia, Ukraine, memorandum",
        "",
    )
    assert row.retracted_at is None
    assert grew(before, await counts(bot)) == {
        "NewsUpdate": 1,
        "Source": 1,
        "Citation": 1,
        "SearchDoc": 1,
        "AuditEntry": 1,
        "Draft": 1,
    }
    (source,) = await rows(bot, Source, Source.name == "Reuters", col(Source.url).is_not(None))
    assert source.url is not None and source.url.startswith("https://www.reuters.com/world/")
    (entry,) = await audit_of(bot, "update", row.id)
    assert (entry.action, entry.actor_id, entry.actor_name) == ("create", EDITOR, "Test")
    assert entry.before is None and pressed_at <= entry.at <= dt.datetime.now(dt.UTC)
    after = json.loads(entry.after or "{}")
    assert after["headline"] == HEADLINE and after["date"] == "2025-06-02"
    assert (await drafts(bot))[-1].status == "saved"

    reader = bot.chat(5001)
    latest = await reader.ask("/latest")
    # The newest filing of 2 June, after the day's lead story (the seed marks it).
    firsts = [line for line in latest.plain.splitlines() if line.startswith("📅 ")][:2]
    assert firsts[1] == f"📅 Mon 2 Jun 2025 — {HEADLINE}"
    assert firsts[0].startswith("📅 Mon 2 Jun 2025 — Sides agree a new prisoner exchange")
    assert HEADLINE in (await reader.ask("/search memorandum")).plain
    assert HEADLINE in (await reader.ask("/latest since 2 June 2025")).plain


async def test_position_example_shows_matched_names_and_supersedes_the_older_stance(
    bot: Harness,
) -> None:
    chat = editor(bot)
    (older,) = await rows(
        bot, Position, Position.as_of == dt.date(2024, 6, 14), col(Position.stance).contains("NATO")
    )
    before = await counts(bot)
    asked = await chat.ask(POSITION_ASKED)
    # Russia already holds a stance on NATO: the preview asks whether the new one replaces it.
    assert asked.plain.splitlines() == [
        "📝 Preview: new position — not saved yet",
        "❓ Russia already holds 1 current stance on NATO and neutrality. "
        "Does this one replace it, or do both stand?",
        f"P{older.id}: {older.stance} (as of Fri 14 Jun 2024)",
        "",
        f"• Russia on NATO and neutrality: {STANCE}",
        "   as of Fri 14 Jun 2024 · Source: example.org",
    ]
    assert labels(asked) == [
        f"Supersedes P{older.id}",
        "Keeps both",
        "✅ Save",
        "✏️ Edit",
        "✖️ Cancel",
        "🌐 Translate",
    ]
    assert grew(before, await counts(bot)) == {"Draft": 1}
    out, answer = await press(chat, asked, "Save")
    assert answer == f"Answer the question first: tap “Supersedes P{older.id}” or “Keeps both”."
    assert out == [] and grew(before, await counts(bot)) == {"Draft": 1}
    (shown,), answer = await press(chat, asked, f"Supersedes P{older.id}")
    assert shown.edited and shown.message_id == asked.message_id
    assert shown.plain.splitlines()[:2] == [
        "📝 Preview: new position — not saved yet",
        f"↪️ Supersedes P{older.id}.",
    ]
    assert labels(shown) == ["✅ Save", "✏️ Edit", "✖️ Cancel", "🌐 Translate"]

    answer, done = await save(chat, shown)
    row = await newest(bot, Position)
    assert answer == f"Saved as P{row.id}."
    assert done.plain.startswith(f"✅ Saved as P{row.id} — it now shows in /positions")
    russia = (await rows(bot, Party, Party.key == "russia"))[0]
    nato = (await rows(bot, Issue, Issue.key == "nato"))[0]
    assert (row.party_id, row.issue_id, row.stance, row.as_of) == (
        russia.id,
        nato.id,
        STANCE,
        dt.date(2024, 6, 14),
    )
    # The editor said so: the new stance is current, the older one superseded.
    assert (await one(bot, Position, older.id)).superseded_by_id == row.id
    assert row.superseded_by_id is None
    assert grew(before, await counts(bot))["Position"] == 1
    assert "Party" not in grew(before, await counts(bot))

    reader = bot.chat(5001)
    assert STANCE in (await reader.ask("/positions nato")).plain
    assert older.stance not in (await reader.ask("/positions nato")).plain
    assert STANCE in (await reader.ask("/positions russia")).plain
    assert STANCE in (await reader.ask("/search NATO ambitions")).plain


async def test_exchange_example_counts_people_and_shows_in_totals(bot: Harness) -> None:
    chat = editor(bot)
    before = await counts(bot)
    shown = await preview(chat, EXCHANGE)
    assert shown.plain.splitlines() == [
        "📝 Preview: new prisoner exchange — not saved yet",
        "",
        "✅ Completed · Fri 23 May 2025",
        "Returned to Ukraine: 390 people · to Russia: 390 people",
        "Who: soldiers, civilians",
        "Mediator: Belarus border",
        "Note: first stage of the 1000-for-1000 exchange",
        "Source: example.org",
    ]
    assert grew(before, await counts(bot)) == {"Draft": 1}

    answer, _ = await save(chat, shown)
    row = await newest(bot, Exchange)
    assert answer == f"Saved as X{row.id}."
    assert (row.date, row.status, row.categories, row.mediator, row.note) == (
        dt.date(2025, 5, 23),
        "completed",
        "soldiers, civilians",
        "Belarus border",
        "first stage of the 1000-for-1000 exchange",
    )
    async with bot.sessions() as session:
        stored = await session.exec(
            select(Party.key, ExchangeCount.returned)
            .join(ExchangeCount, col(ExchangeCount.party_id) == col(Party.id))
            .where(ExchangeCount.exchange_id == row.id)
        )
        assert dict(stored.all()) == {"ukraine": 390, "russia": 390}

    reader = bot.chat(5001)
    listed = (await reader.ask("/exchanges")).plain
    assert "✅ Completed · Fri 23 May 2025" in listed
    assert "2025 totals (1 completed exchange): " in listed
    assert "Ukraine: 390 people" in listed and "Russia: 390 people" in listed
    assert "Belarus border" in (await reader.ask("/search Belarus")).plain


async def test_round_example_is_flagged_as_the_seed_round_and_saves(bot: Harness) -> None:
    chat = editor(bot)
    (seed_round,) = await rows(bot, TalkRound)
    shown = await preview(chat, ROUND)
    assert shown.plain.splitlines() == [
        "📝 Preview: new round of talks — not saved yet",
        f"⚠️ Likely a duplicate of R{seed_round.id}.",
        "",
        "🤝 Round of talks",
        "📅 Mon 2 Jun 2025 · 📍 Istanbul, Ciragan Palace",
        "Mediator: Turkey (Hakan Fidan)",
        "Delegations: Ukraine — Rustem Umerov; Russia — Vladimir Medinsky",
        "Duration: about an hour",
        "Outcome: exchange of severely wounded and young prisoners agreed; Russia hands over a "
        "draft memorandum",
        "Source: example.org",
    ]
    answer, _ = await save(chat, shown)
    row = await newest(bot, TalkRound)
    assert answer == f"Saved as R{row.id}." and row.id != seed_round.id
    assert (row.date, row.place, row.venue, row.mediator, row.duration) == (
        dt.date(2025, 6, 2),
        "Istanbul",
        "Ciragan Palace",
        "Turkey (Hakan Fidan)",
        "about an hour",
    )
    assert json.loads(row.delegations) == [
        {"party": "Ukraine", "head": "Rustem Umerov"},
        {"party": "Russia", "head": "Vladimir Medinsky"},
    ]
    reader = bot.chat(5001)
    assert "Vladimir Medinsky" in (await reader.ask("/rounds")).plain
    assert "Vladimir Medinsky" in (await reader.ask("/search Medinsky")).plain


async def test_natural_language_dates_relative_to_now_in_kyiv(bot: Harness) -> None:
    """dateparser reads relative dates against the real clock in Europe/Kyiv; the expected
    dates are computed from that clock before and after each message (a midnight between the
    two allows either day)."""

    def last_weekday(today: dt.date, weekday: int) -> dt.date:
        return today - dt.timedelta(days=(today.weekday() - weekday) % 7 or 7)

    def last_2_june(today: dt.date) -> dt.date:
        this_year = dt.date(today.year, 6, 2)
        return this_year if this_year <= today else dt.date(today.year - 1, 6, 2)

    expected: dict[str, Callable[[dt.date], dt.date]] = {
        "yesterday": lambda t: t - dt.timedelta(days=1),
        "Monday": lambda t: last_weekday(t, 0),
        "2 June": last_2_june,
        "2 June 2025": lambda t: dt.date(2025, 6, 2),
        "2025-06-02": lambda t: dt.date(2025, 6, 2),
        "3 days ago": lambda t: t - dt.timedelta(days=3),
        "вчора": lambda t: t - dt.timedelta(days=1),
    }
    chat = editor(bot)
    for n, (phrase, when) in enumerate(expected.items()):
        first = kyiv_today()
        shown = await preview(chat, f"/add Dated fact number {n}\ndate: {phrase}\nsource: Reuters")
        last = kyiv_today()
        days = {day(when(first)), day(when(last))}
        assert any(f"📅 {d} — Dated fact number {n}" in shown.plain for d in days), (
            phrase,
            shown.plain,
        )
    # The last one saved: the stored date is the one the preview spelled out.
    answer, _ = await save(chat, shown)
    row = await newest(bot, NewsUpdate)
    assert answer == f"Saved as U{row.id}."
    assert day(row.date) in shown.plain


async def test_field_names_any_case_any_order_and_aliases(bot: Harness) -> None:
    chat = editor(bot)
    canonical = await preview(chat, POSITION)
    shuffled = await preview(
        chat,
        "/POSITION\n"
        "SOURCE: https://example.org/a\n"
        "As Of: 14 June 2024\n"
        "Stance: Ukraine must drop its NATO ambitions\n"
        "ISSUE: nato\n"
        "Replaces: None\n"
        "Side: russia",
    )
    assert shuffled.plain == canonical.plain


async def test_unknown_fields_are_refused_by_name(bot: Harness) -> None:
    chat = editor(bot)
    before = await counts(bot)
    reply = await chat.ask("/add A headline\ndate: yesterday\ncolour: red\nMood: fine")
    assert reply.buttons == []
    assert reply.plain.startswith("Nothing was stored. Please fix:")
    fields = "headline, date, summary, source, tags, time, lead"
    assert f"Unknown field “colour”. Fields: {fields}." in reply.plain
    assert "Unknown field “Mood”." in reply.plain
    assert await counts(bot) == before


async def test_bad_input_gets_a_clear_answer_and_writes_nothing(bot: Harness) -> None:
    chat = editor(bot)
    before = await counts(bot)
    cases: list[tuple[str, list[str]]] = [
        (
            "/add Talks resume\ndate: blurgh",
            [
                "date: I couldn't read “blurgh” as a date.",
                "yesterday, Monday, 2 June, 2 June 2025, 2025-06-02, 3 days ago",
            ],
        ),
        ("/position\nparty: Russia", ["Missing: issue, stance, date, source."]),
        ("/round\nmediator: Turkey", ["Missing: date, place, source."]),
        ("/add\nheadline:\ndate:", ["Missing: headline, date, source."]),
        (
            "/exchange\ndate: yesterday\nreturned: Ukraine -5, Russia 2.5, Turkey many",
            [
                "returned: “-5” is not a whole number of people (0 or more).",
                "returned: “2.5” is not a whole number of people (0 or more).",
                "returned: write “party number”, e.g. Ukraine 390, Russia 390 (got “Turkey many”)",
            ],
        ),
        ("/exchange\ndate: yesterday\nreturned:", ["Missing: returned, source."]),
        (
            "/exchange\ndate: yesterday\nreturned: Ukraine 1000000000000, Russia 390",
            ["returned: “1000000000000” is far more people than any exchange: check it."],
        ),
        (
            "/exchange\ndate: yesterday\nreturned: Ukraine 3\nstatus: maybe",
            ["status: use completed or agreed."],
        ),
        (
            "/add Talks resume\ndate: yesterday\nsource: Reuters https://...",
            ["source: “https://” is not a web link; use https://example.org/…"],
        ),
        (
            "/add Talks resume\ndate: yesterday\nsource: ftp://example.org/file",
            ["source: “ftp://example.org/file” is not a web link"],
        ),
        (
            "/add Talks resume\ndate: yesterday\nsource: https://a.org/x https://b.org/y",
            ["source: one link per source; separate sources with “;”."],
        ),
        (
            "/round\ndate: yesterday\nplace: Istanbul\ndelegations: Umerov and Medinsky",
            ["delegations: write “Party: head”, separated by “;”"],
        ),
        (
            "/add Talks resume\ndate: 2 June 2025\ndate: 3 June 2025",
            ["date: given twice; send it once."],
        ),
        (
            "/add " + "x" * 301 + "\ndate: yesterday\nsource: AP",
            ["headline: at most 300 characters (got 301)."],
        ),
        (
            "/add Talks resume\ndate: yesterday\nsummary: " + "y" * 5000,
            ["summary: too long (5,000 characters, at most 3,000)."],
        ),
        # Longer than Telegram lets a message be: refused whole, and the reply still fits.
        ("/add " + "z" * 4200 + "\ndate: yesterday", ["headline: too long (4,200 characters"]),
        ("/edit", ["Usage: /edit U12"]),
        ("/edit U", ["“U” is not a fact id."]),
        ("/edit Q12\ndate: yesterday", ["“Q12” is not a fact id."]),
        ("/edit U99999\ndate: yesterday", ["There is no U99999."]),
        ("/edit U1\ndate: blurgh", ["date: I couldn't read “blurgh” as a date."]),
        ("/edit U1\ncolour: red", ["Unknown field “colour”."]),
        ("/retract", ["Usage: /retract U12 reason"]),
        (
            "/retract u1",
            [
                "Please give a reason, so readers of the history know why, e.g. "
                "/retract U1 wrong date."
            ],
        ),
        ("/retract X99999 duplicate", ["There is no X99999."]),
        ("/retract U1 " + "r" * 600, ["Keep the reason under 500 characters."]),
        ("/history", ["Usage: /history U12"]),
        ("/history U99999", ["There is no U99999."]),
        ("/history nonsense", ["“nonsense” is not a fact id."]),
    ]
    for text, fragments in cases:
        reply = await chat.ask(text)
        assert reply.buttons == [], text
        assert len(reply.plain) <= 4096
        for fragment in fragments:
            assert fragment in reply.plain, (text[:60], reply.plain)
        assert await counts(bot) == before, text[:60]


async def test_html_and_markdown_are_stored_as_typed_and_shown_escaped(bot: Harness) -> None:
    chat = editor(bot)
    headline = "<b>Talks</b> & <script>x</script> *not bold* _not italic_ `code`"
    summary = "a < b > c & [link](https://example.org) &amp; </i>"
    shown = await preview(
        chat,
        f"/add {headline}\ndate: 2 June 2025\nsummary: {summary}\ntags: <i>tag</i>\nsource: AP",
    )
    assert f"📅 Mon 2 Jun 2025 — {headline}" in shown.plain
    assert summary in shown.plain and "Tags: <i>tag</i>" in shown.plain
    _, done = await save(chat, shown)
    assert headline in done.plain
    row = await newest(bot, NewsUpdate)
    assert (row.headline, row.summary, row.tags) == (headline, summary, "<i>tag</i>")

    reader = bot.chat(5001)
    # Second on 2 June, after the day's lead story (the seed marks it).
    assert headlines(await reader.ask("/latest 2"))[1] == headline
    assert headline in (await reader.ask("/search Talks")).plain
    edited = await preview(chat, f"/edit U{row.id}\nsummary: <u>new</u> & more")
    assert "• summary: " + summary + " → <u>new</u> & more" in edited.plain
    await save(chat, edited)
    history = await chat.ask(f"/history U{row.id}")
    assert '"<u>new</u> & more"' in history.plain
    assert (await one(bot, NewsUpdate, row.id)).summary == "<u>new</u> & more"


# ------------------------------------------------------------------------------------ buttons


async def test_save_twice_or_after_cancel_writes_once(bot: Harness) -> None:
    chat = editor(bot)
    shown = await preview(chat, ADD)
    answer, _ = await save(chat, shown)
    ref = ref_of(answer)
    after_save = await counts(bot)
    out, again = await press_again(chat, shown, "Save")
    assert out == [] and again == f"Already saved as {ref}; nothing more was written."
    assert bot.api.callback_answers[-1].show_alert
    out, late_cancel = await press_again(chat, shown, "Cancel")
    assert out == [] and late_cancel.startswith(f"Already saved as {ref}")
    assert await counts(bot) == after_save

    second = await preview(chat, POSITION)
    out, cancelled = await press(chat, second, "Cancel")
    assert cancelled == "Cancelled."
    assert [m.plain for m in out] == ["✖️ Cancelled — nothing was stored."]
    out, late_save = await press_again(chat, second, "Save")
    assert out == [] and late_save == "This draft was cancelled; nothing was stored."
    out, cancel_again = await press_again(chat, second, "Cancel")
    assert cancel_again == "This draft was cancelled; nothing was stored."
    assert grew(after_save, await counts(bot)) == {"Draft": 1}
    assert [d.status for d in await drafts(bot)] == ["saved", "cancelled"]


async def concurrent_saves(h: Harness, chat_id: int, shown: SentMessage) -> list[CallbackAnswer]:
    """Press one Save button twice at the same moment (two callback queries, run together)."""
    data = shown.callback_data[0]
    assert data.startswith("draft:save:")
    raws = [
        h.api.make_callback(shown.message_id, data, chat_id=chat_id, user_id=EDITOR)
        for _ in range(2)
    ]
    before = len(h.api.callback_answers)
    await asyncio.gather(*(h.app.process_update(Update.de_json(r, h.app.bot)) for r in raws))
    return h.api.callback_answers[before:]


async def test_save_pressed_twice_at_once_writes_one_fact(bot: Harness) -> None:
    chat = editor(bot)
    shown = await preview(chat, EXCHANGE)
    before = await counts(bot)
    answers = sorted(a.text or "" for a in await concurrent_saves(bot, EDITOR, shown))
    assert len(answers) == 2
    assert answers[0].startswith("Already") and "nothing more was written" in answers[0]
    assert answers[1].startswith("Saved as X")
    changed = grew(before, await counts(bot))
    assert changed["Exchange"] == 1 and changed["ExchangeCount"] == 2 and changed["AuditEntry"] == 1


async def test_edit_button_resends_a_field_before_saving(bot: Harness) -> None:
    chat = editor(bot)
    first = await preview(chat, ADD)
    out, answer = await press(chat, first, "Edit")
    assert answer == ""
    assert [m.plain for m in out] == [
        "✏️ Send the fields to change as field: value lines, e.g. date: 3 June 2025. "
        "/cancel keeps the preview as it is."
    ]
    # A bad line is refused and the correction stays open.
    bad = await chat.ask("date: blurgh")
    assert "date: I couldn't read “blurgh” as a date." in bad.plain
    second = await preview(chat, "date: 3 June 2025\nsummary: Kyiv will study it")
    assert "📅 Tue 3 Jun 2025 — " + HEADLINE in second.plain
    assert "Kyiv will study it" in second.plain
    assert [d.status for d in await drafts(bot)] == ["cancelled", "pending"]
    out, stale = await press(chat, first, "Save")
    assert stale == "This draft was cancelled; nothing was stored."

    # /cancel while correcting keeps the preview as it was.
    await press(chat, second, "Edit")
    kept = await chat.ask("/cancel")
    assert kept.plain.startswith("OK — the preview stays as it was")
    assert (await chat.ask("date: 4 June 2025")).plain.startswith("I answer commands")

    answer, _ = await save(chat, second)
    row = await newest(bot, NewsUpdate)
    assert answer == f"Saved as U{row.id}."
    assert (row.date, row.summary) == (dt.date(2025, 6, 3), "Kyiv will study it")


async def test_stale_or_foreign_button_data_is_answered_and_changes_nothing(bot: Harness) -> None:
    chat = editor(bot)
    retraction = await chat.ask("/retract U1 duplicate of another update")
    assert labels(retraction) == ["🗑 Retract", "✖️ Cancel"]
    before = await counts(bot)
    (draft,) = await drafts(bot)
    cases = {
        f"draft:edit:{draft.id}": "A retraction has nothing to edit",
        f"draft:delete:{draft.id}": "This button has expired.",
        "draft:save:x": "This button has expired.",
        "draft:save:424242": "This preview has expired; send the command again.",
    }
    for data, expected in cases.items():
        raw = bot.api.make_callback(
            retraction.message_id, data, chat_id=EDITOR, user_id=EDITOR, check_button=False
        )
        await bot.app.process_update(Update.de_json(raw, bot.app.bot))
        assert (bot.api.callback_answers[-1].text or "").startswith(expected), data
    assert await counts(bot) == before
    assert (await one(bot, NewsUpdate, 1)).retracted_at is None


# ------------------------------------------------------------------------------------ names


async def test_new_party_and_issue_are_created_only_when_saved(bot: Harness) -> None:
    chat = editor(bot)
    text = (
        "/position\nparty: Atlantis\nissue: Black Sea shipping\n"
        "stance: Wants free passage for grain ships\ndate: 1 June 2025\n"
        "source: https://example.org/atlantis"
    )
    before = await counts(bot)
    shown = await preview(chat, text)
    assert "🆕 New party “Atlantis” will be created when you save." in shown.plain
    assert "🆕 New issue “Black Sea shipping” will be created when you save." in shown.plain
    assert "Atlantis on Black Sea shipping: Wants free passage for grain ships" in shown.plain
    await press(chat, shown, "Cancel")
    assert grew(before, await counts(bot)) == {"Draft": 1}
    assert await rows(bot, Party, Party.key == "atlantis") == []

    answer, _ = await save(chat, await preview(chat, text))
    (party,) = await rows(bot, Party, Party.key == "atlantis")
    (issue,) = await rows(bot, Issue, Issue.key == "black-sea-shipping")
    assert (party.name, issue.name) == ("Atlantis", "Black Sea shipping")
    row = await newest(bot, Position)
    assert answer == f"Saved as P{row.id}." and (row.party_id, row.issue_id) == (party.id, issue.id)
    changed = grew(before, await counts(bot))
    assert (changed["Party"], changed["Issue"], changed["Position"]) == (1, 1, 1)
    assert "Wants free passage" in (await bot.chat(5001).ask("/positions atlantis")).plain
    # Known now: the same names create nothing new.
    again = await chat.ask(text.replace("1 June", "2 June"))
    assert "🆕" not in again.plain


async def test_near_misses_suggest_the_existing_name_and_store_nothing(bot: Harness) -> None:
    chat = editor(bot)
    before = await counts(bot)
    cases = {
        "/position\nparty: Rusia\nissue: NATO\nstance: s\ndate: yesterday": (
            "party: no party “Rusia”. Did you mean “Russia”?"
        ),
        "/position\nparty: Russia\nissue: Natto\nstance: s\ndate: yesterday": (
            "issue: no issue “Natto”. Did you mean “NATO and neutrality”?"
        ),
        "/exchange\ndate: yesterday\nreturned: Ukrane 5, Russia 5": (
            "party: no party “Ukrane”. Did you mean “Ukraine”?"
        ),
    }
    for text, expected in cases.items():
        reply = await chat.ask(text)
        assert expected in reply.plain and "🆕" not in reply.plain, reply.plain
        assert reply.buttons == []
    assert await counts(bot) == before


async def test_the_same_fact_twice_is_flagged_as_a_likely_duplicate(bot: Harness) -> None:
    chat = editor(bot)
    first = {}
    for text in (ADD, POSITION, EXCHANGE):
        first[text] = ref_of((await add_and_save(chat, text))[0])
    again = await preview(
        chat, ADD.replace(HEADLINE, "  russia hands ukraine a DRAFT peace memorandum")
    )
    assert f"⚠️ Likely a duplicate of {first[ADD]}." in again.plain.splitlines()
    assert f"⚠️ Likely a duplicate of {first[POSITION]}." in (await preview(chat, POSITION)).plain
    assert f"⚠️ Likely a duplicate of {first[EXCHANGE]}." in (await preview(chat, EXCHANGE)).plain
    # Another date, or other numbers, is another fact.
    other_day = await preview(chat, ADD.replace("2 June 2025", "3 June 2025"))
    assert "duplicate" not in other_day.plain
    other_numbers = await preview(chat, EXCHANGE.replace("Russia 390", "Russia 391"))
    assert "duplicate" not in other_numbers.plain


# ------------------------------------------------------------------------------------ guided


async def test_guided_form_asks_each_field_and_previews_the_same_way(bot: Harness) -> None:
    chat = editor(bot)
    before = await counts(bot)
    start = await chat.ask("/add")
    assert start.plain == (
        "New update, step by step. /skip leaves out an optional field, /cancel stops.\n"
        "🌐 Any answer may add translations: “headline uk: …”.\n\n"
        "Headline? (one line)"
    )
    assert (await chat.ask("/skip")).plain.startswith("headline is needed. Headline?")
    assert (await chat.ask("Talks to resume in Istanbul")).plain.startswith("When?")
    retry = await chat.ask("blurgh")
    assert retry.plain.startswith("date: I couldn't read “blurgh” as a date.")
    assert retry.plain.endswith("When? (e.g. 2 June 2025, yesterday, Monday)")
    today = kyiv_today()
    assert (await chat.ask("yesterday")).plain == "Short summary? (/skip)"
    assert (await chat.ask("/skip")).plain.startswith("Source?")
    assert "not a web link" in (await chat.ask("Reuters https://...")).plain
    assert (await chat.ask("Reuters https://example.org/istanbul")).plain.startswith("Tags")
    # Nothing but the open form is stored so far: the answers, in the database.
    assert grew(before, await counts(bot)) == {"Draft": 1}
    (form,) = await drafts(bot)
    assert (form.status, form.action, form.chat_id, form.actor_id) == ("form", "guided", 42, 42)
    assert json.loads(form.payload)["values"]["source"] == "Reuters https://example.org/istanbul"
    shown = await preview(chat, "talks, istanbul")
    yesterday = {day(today - dt.timedelta(days=1)), day(kyiv_today() - dt.timedelta(days=1))}
    assert any(f"📅 {d} — Talks to resume in Istanbul" in shown.plain for d in yesterday)
    assert "Tags: talks, istanbul" in shown.plain and "Source: Reuters" in shown.plain
    assert grew(before, await counts(bot)) == {"Draft": 1}
    answer, _ = await save(chat, shown)
    row = await newest(bot, NewsUpdate)
    assert answer == f"Saved as U{row.id}." and row.headline == "Talks to resume in Istanbul"
    # The conversation is over: plain text is free text again.
    assert (await chat.ask("hello")).plain.startswith("I answer commands")


async def test_guided_exchange_rechecks_each_answer(bot: Harness) -> None:
    chat = editor(bot)
    assert (await chat.ask("/exchange")).plain.endswith(
        "When? (e.g. 2 June 2025, yesterday, Monday)"
    )
    assert (await chat.ask("23 May 2025")).plain.startswith("How many returned")
    bad = await chat.ask("Ukraine -1, Russia 2.5")
    assert bad.plain.startswith("returned: “-1” is not a whole number of people")
    assert "Did you mean “Russia”?" in (await chat.ask("Ukraine 390, Rusia 390")).plain
    assert (await chat.ask("Ukraine 390, Russia 390")).plain.startswith("Who?")
    for answer in ("/skip", "/skip"):  # categories, mediator
        await chat.ask(answer)
    assert (await chat.ask("maybe")).plain.startswith("status: use completed or agreed.")
    await chat.ask("agreed")
    await chat.ask("/skip")  # note
    await chat.ask("/skip")  # stages
    shown = await preview(chat, "https://example.org/x")
    assert "⏳ AGREED, NOT YET CARRIED OUT · agreed Fri 23 May 2025" in shown.plain
    assert "Returned to Ukraine: 390 people · to Russia: 390 people" in shown.plain


async def test_a_problem_found_only_at_the_end_keeps_the_guided_answers(bot: Harness) -> None:
    # A round is looked up when the whole form is built: an unknown one is asked again, and
    # the editor's other answers stay.
    chat = editor(bot)
    await chat.ask("/document")
    for answer in ("Ceasefire memo", "2 June 2025", "Russia", "/skip", "/skip", "/skip"):
        await chat.ask(answer)
    await chat.ask("R999")  # round
    await chat.ask("/skip")  # summary
    problem = await chat.ask("Reuters https://example.org/memo")
    assert problem.plain.startswith("Nothing was stored. Please fix:\n• round: no round R999;")
    assert problem.plain.endswith(
        "Handed over at which round? Its id, e.g. R1 (/skip)\n(/cancel stops; nothing is stored)"
    )
    (form,) = await drafts(bot)
    kept = json.loads(form.payload)
    assert kept["values"]["title"] == "Ceasefire memo" and kept["fixing"] is True
    shown = await preview(chat, "/skip")  # no round: straight back to the preview
    assert "Ceasefire memo" in shown.plain and "Source: Reuters" in shown.plain
    answer, _ = await save(chat, shown)
    row = await newest(bot, Document)
    assert answer == f"Saved as D{row.id}." and row.title == "Ceasefire memo"
    assert row.round_id is None
    assert [d.status for d in await drafts(bot)] == ["saved"]  # the form closed, its draft saved


async def test_a_wrong_date_of_another_source_is_asked_again_in_the_guided_form(
    bot: Harness,
) -> None:
    chat = editor(bot)
    await chat.ask("/add")
    await chat.ask("Talks to resume in Istanbul\ndate also: blurgh | source: TASS")
    await chat.ask("2 June 2025")
    await chat.ask("/skip")  # summary
    await chat.ask("Reuters https://example.org/istanbul")
    problem = await chat.ask("talks")
    assert problem.plain.startswith(
        "Nothing was stored. Please fix:\n• date also: I couldn't read “blurgh” as a date."
    )
    assert problem.plain.endswith(
        "When? (e.g. 2 June 2025, yesterday, Monday)\n(/cancel stops; nothing is stored)"
    )
    shown = await preview(chat, "2 June 2025\ndate also: 1 June 2025 | source: TASS")
    assert "Talks to resume in Istanbul" in shown.plain and "blurgh" not in shown.plain
    assert "Date: Mon 2 Jun 2025 (Reuters) · Sun 1 Jun 2025 (TASS)" in shown.plain, shown.plain


async def test_a_typed_form_refuses_another_source_s_date_that_is_no_date(bot: Harness) -> None:
    chat = editor(bot)
    refused = await chat.ask(
        "/add Talks to resume\ndate: 2 June 2025\nsource: Reuters\ndate also: blurgh | source: TASS"
    )
    assert refused.plain.startswith(
        "Nothing was stored. Please fix:\n• date also: I couldn't read “blurgh” as a date."
    )
    assert await drafts(bot) == []


async def test_guided_form_cancels_at_any_step(bot: Harness) -> None:
    chat = editor(bot)
    before = await counts(bot)
    for command, answers in (
        ("/add", []),
        ("/position", ["Russia", "NATO"]),
        ("/round", ["yesterday"]),
    ):
        await chat.ask(command)
        for answer in answers:
            await chat.ask(answer)
        assert (await chat.ask("/cancel")).plain == "Cancelled — nothing was stored."
        assert (await chat.ask("Some text")).plain.startswith("I answer commands")
    assert await counts(bot) == before


async def test_guided_form_times_out_politely(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form's timeout is handlers.open_forms.TIMEOUT_SECONDS, read when a form is opened or
    answered; patched to 0.3 s here so the real JobQueue path runs quickly.
    A non-editor's refused /add must not be followed by a timeout message of its own."""
    monkeypatch.setattr(handlers.open_forms, "TIMEOUT_SECONDS", 0.3)
    settings = make_settings(sqlite_url, admin_ids=frozenset({EDITOR}))
    async for h in start_harness(settings):
        assert (await outsider(h).ask("/add")).plain == NOT_AN_EDITOR
        chat = editor(h)
        await chat.ask("/add")
        await chat.ask("A headline typed before going idle")
        before = len(h.api.sent(EDITOR))
        for _ in range(30):  # at most 1.5 s
            await asyncio.sleep(0.05)
            if len(h.api.sent(EDITOR)) > before:
                break
        await asyncio.sleep(0.1)  # the outsider's timeout, had one been set, was due earlier
        timed_out = h.api.sent(EDITOR)[before:]
        assert [m.plain for m in timed_out] == [
            "No answer for 10 minutes, so I closed that form — nothing was stored. "
            "Send the command again to start over."
        ]
        assert [m.plain for m in h.api.sent(OUTSIDER)] == [NOT_AN_EDITOR]
        assert (await chat.ask("When? tomorrow")).plain.startswith("I answer commands")
        assert await drafts(h) == []
        assert h.errors == []


# ------------------------------------------------------------------------------------ edit


async def test_edit_previews_the_changes_then_saves_with_an_audit_entry(bot: Harness) -> None:
    chat = editor(bot)
    ref = ref_of((await add_and_save(chat, ADD + "\nsummary: First draft"))[0])
    fact_id = int(ref[1:])
    before = await counts(bot)
    shown = await preview(chat, f"/edit {ref}\ndate: 3 June 2025\nsummary: Corrected text")
    assert shown.plain.splitlines()[:4] == [
        f"✏️ Preview: correction of {ref} — not saved yet",
        "Changes:",
        "• date: 2025-06-02 → 3 June 2025",
        "• summary: First draft → Corrected text",
    ]
    assert f"📅 Tue 3 Jun 2025 — {HEADLINE}" in shown.plain
    assert grew(before, await counts(bot)) == {"Draft": 1}
    assert (await one(bot, NewsUpdate, fact_id)).date == dt.date(2025, 6, 2)

    answer, done = await save(chat, shown)
    assert answer == f"Corrected {ref}."  # not "Saved as": the fact was there already
    assert done.plain.startswith(f"✅ Corrected {ref} — it now shows in /latest and /search.")
    row = await one(bot, NewsUpdate, fact_id)
    assert (row.date, row.summary, row.headline) == (
        dt.date(2025, 6, 3),
        "Corrected text",
        HEADLINE,
    )
    changed = grew(before, await counts(bot))
    assert changed == {"Draft": 1, "AuditEntry": 1}  # same fact, same id: nothing added
    create, edit = await audit_of(bot, "update", fact_id)
    assert (create.action, edit.action, edit.actor_id) == ("create", "edit", EDITOR)
    old, new = json.loads(edit.before or ""), json.loads(edit.after or "")
    assert (old["date"], old["summary"]) == ("2025-06-02", "First draft")
    assert (new["date"], new["summary"]) == ("2025-06-03", "Corrected text")
    assert old["sources"] == new["sources"]

    reader = bot.chat(5001)
    assert f"📅 Tue 3 Jun 2025 — {HEADLINE}" in (await reader.ask("/latest")).plain
    assert HEADLINE in (await reader.ask("/search corrected")).plain
    history = (await chat.ask(f"/history {ref}")).plain.splitlines()
    assert history[0] == f"🗂 History of {ref} (live)"
    assert history[1].endswith("— created by Test") and history[2].endswith("— edited by Test")
    assert '   date: "2025-06-02" → "2025-06-03"' in history
    assert '   summary: "First draft" → "Corrected text"' in history


async def test_edit_of_an_exchange_and_of_a_position_keeps_ids_and_relinks(bot: Harness) -> None:
    chat = editor(bot)
    x = ref_of((await add_and_save(chat, EXCHANGE))[0])
    shown = await preview(chat, f"/edit {x}\nreturned: Ukraine 391, Russia 390")
    assert "• returned: Ukraine 390, Russia 390 → Ukraine 391, Russia 390" in shown.plain
    assert "Returned to Ukraine: 391 people · to Russia: 390 people" in shown.plain
    await save(chat, shown)
    *_, edit = await audit_of(bot, "exchange", int(x[1:]))
    assert json.loads(edit.before or "")["returned"] == {"Ukraine": 390, "Russia": 390}
    assert json.loads(edit.after or "")["returned"] == {"Ukraine": 391, "Russia": 390}
    assert len(await rows(bot, ExchangeCount, ExchangeCount.exchange_id == int(x[1:]))) == 2

    # A new stance that says it supersedes the seed's; moved a day earlier, it still does
    # (superseding is the editor's word, not a matter of dates).
    (older,) = await rows(
        bot, Position, Position.as_of == dt.date(2024, 6, 14), col(Position.stance).contains("NATO")
    )
    p = ref_of((await add_and_save(chat, POSITION_ASKED + f"\nsupersedes: P{older.id}"))[0])
    newer_id = int(p[1:])
    assert (await one(bot, Position, older.id)).superseded_by_id == newer_id
    await save(chat, await preview(chat, f"/edit {p}\ndate: 13 June 2024"))
    assert (await one(bot, Position, older.id)).superseded_by_id == newer_id
    assert (await one(bot, Position, newer_id)).superseded_by_id is None
    assert older.stance not in (await bot.chat(5001).ask("/positions nato")).plain


async def test_edit_that_changes_nothing_is_said_so(bot: Harness) -> None:
    chat = editor(bot)
    before = await counts(bot)
    for text in ("/edit U1\ndate: 2025-06-01", "/edit U1\ndate: 1 June 2025"):
        reply = await chat.ask(text)
        assert reply.plain == "That is what U1 already says; nothing changes.", reply.plain
    reply = await chat.ask("/edit U1")
    assert reply.plain.startswith("What should change in U1? Send /edit U1 with the new lines.")
    assert "date: 2025-06-01" in reply.plain
    assert await counts(bot) == before


async def test_edit_keeps_sources_it_does_not_change(bot: Harness) -> None:
    """The source line shows names and links only; an edit that leaves it as it reads keeps the
    fact's sources as stored (date and title included), even when another stored source has the
    same name and link."""
    chat = editor(bot)
    await add_and_save(chat, "/add Another Reuters report\ndate: 2 June 2025\nsource: Reuters")
    assert len(await rows(bot, Source, Source.name == "Reuters")) == 2
    cited = [c.source_id for c in await rows(bot, Citation, Citation.fact_kind == "update")]
    shown = await preview(chat, "/edit U1\nheadline: Drones strike Russian bombers")
    assert "Source: Reuters, Mon 2 Jun 2025" in shown.plain
    await save(chat, shown)
    assert [c.source_id for c in await rows(bot, Citation, Citation.fact_kind == "update")] == cited
    *_, edit = await audit_of(bot, "update", 1)
    assert json.loads(edit.after or "")["sources"] == [
        {"name": "Reuters", "published": "2025-06-02"}
    ]
    assert "Reuters, Mon 2 Jun 2025" in (await bot.chat(5001).ask("/search drones")).plain
    # A changed source line does replace the sources.
    await save(chat, await preview(chat, "/edit U1\nsource: AP https://example.org/ap"))
    (source,) = [
        s
        for s in await rows(bot, Source)
        if s.id
        in {
            c.source_id
            for c in await rows(
                bot, Citation, Citation.fact_kind == "update", Citation.fact_id == 1
            )
        }
    ]
    assert (source.name, source.url) == ("AP", "https://example.org/ap")


async def test_edit_of_rounds_keeps_unnamed_heads_and_multi_day_spans(bot: Harness) -> None:
    chat = editor(bot)
    # The seed round's Russian delegation head is not named.
    shown = await preview(chat, "/edit R1\nduration: two hours")
    assert "Russia — not named" in shown.plain
    await save(chat, shown)
    seed_round = await one(bot, TalkRound, 1)
    assert seed_round.duration == "two hours"
    assert {"party": "Russia", "head": None} in json.loads(seed_round.delegations)
    # A new round may leave a head unnamed too.
    unnamed = await preview(
        chat,
        "/round\ndate: yesterday\nplace: Geneva\nsource: AP\ndelegations: Ukraine: Umerov; Russia:",
    )
    assert "Delegations: Ukraine — Umerov; Russia — not named" in unnamed.plain

    # A two-day round (from the example file) keeps its last day through an edit.
    await upload(bot, EXAMPLE_FILE.read_bytes(), "import-example.json")
    (example,) = await rows(bot, TalkRound, TalkRound.key == "example-round-1")
    edited = await preview(chat, f"/edit R{example.id}\nduration: two days")
    assert "📅 Thu 4 Mar – Fri 5 Mar 2021" in edited.plain
    await save(chat, edited)
    stored = await one(bot, TalkRound, example.id)
    assert (stored.date, stored.end_date, stored.duration) == (
        dt.date(2021, 3, 4),
        dt.date(2021, 3, 5),
        "two days",
    )


# ------------------------------------------------------------------------------------ retract


async def test_retraction_hides_every_kind_everywhere_and_keeps_the_record(bot: Harness) -> None:
    chat = editor(bot)
    reader = bot.chat(5001)
    (older,) = await rows(
        bot, Position, Position.as_of == dt.date(2024, 6, 14), col(Position.stance).contains("NATO")
    )
    refs = {
        text: ref_of((await add_and_save(chat, text))[0])
        for text in (ADD, POSITION, EXCHANGE, ROUND)
    }
    assert HEADLINE in (await reader.ask("/latest")).plain
    assert STANCE in (await reader.ask("/positions nato")).plain
    assert "Fri 23 May 2025" in (await reader.ask("/exchanges")).plain
    assert "Vladimir Medinsky" in (await reader.ask("/rounds")).plain
    before = await counts(bot)

    for ref in refs.values():
        shown = await chat.ask(f"/retract {ref} wrong <b>source</b>")
        assert labels(shown) == ["🗑 Retract", "✖️ Cancel"]
        assert shown.plain.startswith(
            f"🗑 Preview: retract {ref} — nothing changes until you confirm"
        )
        assert "Reason: wrong <b>source</b>" in shown.plain
        answer, done = await save(chat, shown, "Retract")
        assert answer == f"Retracted {ref}."
        assert done.plain == f"🗑 {ref} retracted. It no longer appears anywhere."

    # Nothing was deleted: the same rows, each marked, each with an audit entry.
    assert grew(before, await counts(bot)) == {"Draft": 4, "AuditEntry": 4, "SearchDoc": -4}
    for model, kind, ref in (
        (NewsUpdate, "update", refs[ADD]),
        (Position, "position", refs[POSITION]),
        (Exchange, "exchange", refs[EXCHANGE]),
        (TalkRound, "round", refs[ROUND]),
    ):
        row = await one(bot, model, int(ref[1:]))
        assert row.retracted_at is not None and row.retraction_reason == "wrong <b>source</b>"
        *_, entry = await audit_of(bot, kind, row.id)
        assert (entry.action, entry.actor_id, entry.note) == (
            "retract",
            EDITOR,
            row.retraction_reason,
        )
        assert "retracted_at" not in json.loads(entry.before or "")
        assert json.loads(entry.after or "")["retraction_reason"] == "wrong <b>source</b>"
        history = (await chat.ask(f"/history {ref}")).plain
        assert f"History of {ref} (retracted)" in history
        assert "— retracted by Test: wrong <b>source</b>" in history
        for attempt in (f"/retract {ref} again", f"/edit {ref}\nnote: x"):
            assert (await chat.ask(attempt)).plain == f"{ref} is retracted; it cannot be changed."

    assert HEADLINE not in (await reader.ask("/latest")).plain
    assert HEADLINE not in (await reader.ask("/latest since 2 June 2025")).plain
    positions = (await reader.ask("/positions nato")).plain
    assert STANCE not in positions and older.stance in positions
    assert (await one(bot, Position, older.id)).superseded_by_id is None
    assert STANCE not in (await reader.ask("/positions history nato")).plain
    exchanges = (await reader.ask("/exchanges")).plain
    assert "Fri 23 May 2025" not in exchanges and "390 people" not in exchanges
    assert "Vladimir Medinsky" not in (await reader.ask("/rounds")).plain
    for words in ("memorandum", "NATO ambitions", "Belarus", "Medinsky"):
        found = (await reader.ask(f"/search {words}")).plain
        assert HEADLINE not in found and STANCE not in found, words
        assert "Belarus border" not in found and "Vladimir Medinsky" not in found, words


async def test_retraction_can_be_cancelled(bot: Harness) -> None:
    chat = editor(bot)
    shown = await chat.ask("/retract U1 not sure")
    before = await counts(bot)
    out, answer = await press(chat, shown, "Cancel")
    assert answer == "Cancelled." and out[0].plain == "✖️ Cancelled — nothing was stored."
    out, late = await press_again(chat, shown, "Retract")
    assert late == "This draft was cancelled; nothing was stored."
    assert await counts(bot) == before
    assert (await one(bot, NewsUpdate, 1)).retracted_at is None


# ------------------------------------------------------------------------------------ bulk


async def test_import_in_chat_reports_what_was_added(bot: Harness) -> None:
    before = await counts(bot)
    (reply,) = await upload(bot, EXAMPLE_FILE.read_bytes(), "import-example.json")
    assert reply.plain == (
        "📥 Imported 2 parties, 1 issues, 3 sources, 1 rounds, 2 updates, 1 positions, "
        "1 exchanges; 1 already present, skipped."
    )
    changed = grew(before, await counts(bot))
    assert {k: changed[k] for k in ("Party", "Issue", "TalkRound", "NewsUpdate", "Position")} == {
        "Party": 2,
        "Issue": 1,
        "TalkRound": 1,
        "NewsUpdate": 2,
        "Position": 1,
    }
    assert changed["Exchange"] == 1 and changed["AuditEntry"] == 5
    imported = await rows(
        bot, AuditEntry, AuditEntry.action == "import", AuditEntry.actor_id == EDITOR
    )
    assert len(imported) == 5
    assert "Example negotiation, round 1" in (await bot.chat(5001).ask("/rounds")).plain
    # The same file again adds nothing.
    after = await counts(bot)
    (again,) = await upload(bot, EXAMPLE_FILE.read_bytes(), "import-example.json")
    assert again.plain.startswith("📥 Imported nothing new; ") and "already present" in again.plain
    assert await counts(bot) == after
    # /import without a file says how.
    assert "send a JSON file" in (await editor(bot).ask("/import")).plain


async def test_import_of_a_file_that_is_not_json_writes_nothing(bot: Harness) -> None:
    before = await counts(bot)
    for content, name, problem in (
        (b"date: yesterday\nnot json at all", "notes.txt", "• not a JSON file: "),
        (b"\xff\xfe\x00garbage", "facts.json", "• not a JSON file: "),
        (b"[1, 2, 3]", "list.json", "• the file must hold one JSON object"),
        (b'{"format": "other/2"}', "other.json", "• format: Input should be 'peace-briefing/1'"),
    ):
        (reply,) = await upload(bot, content, name)
        lines = reply.plain.splitlines()
        assert lines[0].startswith("📥 Import refused: 1 problem; nothing was written."), name
        assert lines[1].startswith(problem), (name, reply.plain)
    assert await counts(bot) == before


async def test_import_with_bad_items_is_all_or_nothing_and_names_each(bot: Harness) -> None:
    data = json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))
    before = await counts(bot)
    # One item refers to an issue nobody declared: the whole file is refused.
    one_bad = json.loads(json.dumps(data))
    one_bad["positions"][0]["issue"] = "natto"
    (reply,) = await upload(bot, json.dumps(one_bad).encode(), "bad.json")
    assert reply.plain.splitlines() == [
        "📥 Import refused: 1 problem; nothing was written.",
        "• positions[0] (alpha-river-access-2021-03-05): issue: unknown issue 'natto' "
        "— did you mean nato?",
    ]
    assert await counts(bot) == before
    assert await rows(bot, Party, Party.key == "alpha") == []

    # Items that do not fit the format: each is named with its list, index, key and field.
    two_bad = json.loads(json.dumps(data))
    two_bad["exchanges"][0]["returned"]["alpha"] = -3
    two_bad["updates"][1]["date"] = "someday"
    two_bad["updates"][0]["colour"] = "red"
    (reply,) = await upload(bot, json.dumps(two_bad).encode(), "bad.json")
    lines = reply.plain.splitlines()
    assert lines[0] == "📥 Import refused: 3 problems; nothing was written."
    assert any(
        line.startswith("• updates[0] (example-round-1-closes): colour: Extra inputs")
        for line in lines
    )
    assert any(
        line.startswith("• updates[1] (example-beta-river-statement): date: ") for line in lines
    )
    assert any(
        line.startswith("• exchanges[0] (example-exchange-2021-03-06): returned.alpha: ")
        and "greater than or equal to 0" in line
        for line in lines
    )
    assert await counts(bot) == before


async def test_export_in_chat_round_trips_into_an_empty_store(bot: Harness, tmp_path: Path) -> None:
    chat = editor(bot)
    for text in (ADD, POSITION, EXCHANGE, ROUND):
        await add_and_save(chat, text)
    await add_and_save(
        chat,
        "/position\nparty: Atlantis\nissue: Black Sea shipping\nstance: Free passage\n"
        "date: 1 June 2025\nsource: Atlantis Times https://example.org/at",
    )
    x = await newest(bot, Exchange)
    await save(chat, await preview(chat, f"/edit X{x.id}\nnote: corrected note"))
    u = await newest(bot, NewsUpdate)
    await save(chat, await chat.ask(f"/retract U{u.id} wrong headline"), "Retract")

    replies = await chat.send("/export")
    (document,) = [m for m in replies if m.document is not None]
    assert document.filename is not None and document.filename.startswith("briefing-export-")
    assert document.filename.endswith(".json")
    assert document.plain.startswith(
        "📤 Export: 13 updates, 16 positions, 2 exchanges, 2 rounds, 2 documents."
    )
    assert document.document is not None
    exported = json.loads(document.document)
    assert exported["format"] == "peace-briefing/1"
    (retracted,) = [x for x in exported["updates"] if "retracted" in x]
    assert retracted["headline"] == HEADLINE
    assert retracted["retracted"]["reason"] == "wrong headline"

    engine, sessions = await fresh_store(tmp_path / "copy.db")
    try:
        async with sessions() as session:
            report = await import_bytes(session, document.document)
            assert report.ok, report.errors
            again = json.loads((await export_dataset(session)).model_dump_json(exclude_none=True))
            copied = (
                await session.exec(select(NewsUpdate).where(NewsUpdate.headline == HEADLINE))
            ).one()
            assert copied.retracted_at is not None
            assert copied.retraction_reason == "wrong headline"
    finally:
        await engine.dispose()
    assert comparable(again) == comparable(exported)


async def test_cli_export_then_import_into_an_empty_database(
    bot: Harness, sqlite_url: str, tmp_path: Path
) -> None:
    chat = editor(bot)
    for text in (ADD, EXCHANGE):
        await add_and_save(chat, text)
    p = ref_of((await add_and_save(chat, POSITION))[0])
    await save(chat, await chat.ask(f"/retract {p} duplicate"), "Retract")
    work = tmp_path / "cli"
    work.mkdir()
    first, second = work / "first.json", work / "second.json"
    copy_url = f"sqlite+aiosqlite:///{work / 'copy.db'}"

    done = await asyncio.to_thread(
        run_cli, "export", str(first), cwd=work, DATABASE_URL=sqlite_url, LOG_LEVEL="WARNING"
    )
    assert done.returncode == 0, done.stderr
    done = await asyncio.to_thread(
        run_cli,
        "import",
        str(first),
        "--no-seed",
        cwd=work,
        DATABASE_URL=copy_url,
        LOG_LEVEL="WARNING",
    )
    assert done.returncode == 0, done.stderr
    assert "Imported " in done.stdout and "15 positions" in done.stdout, (done.stdout, done.stderr)
    done = await asyncio.to_thread(
        run_cli, "export", str(second), cwd=work, DATABASE_URL=copy_url, LOG_LEVEL="WARNING"
    )
    assert done.returncode == 0, done.stderr
    original = json.loads(first.read_text(encoding="utf-8"))
    assert comparable(json.loads(second.read_text(encoding="utf-8"))) == comparable(original)
    assert any(x.get("retracted", {}).get("reason") == "duplicate" for x in original["positions"])

    # A bad file through the command line: exit 1, each problem listed, nothing written.
    bad = work / "bad.json"
    broken = json.loads(first.read_text(encoding="utf-8"))
    broken["updates"].append({"key": "x", "date": "2025-06-02", "headline": "", "sources": ["s"]})
    bad.write_text(json.dumps(broken), encoding="utf-8")
    done = await asyncio.to_thread(
        run_cli, "import", str(bad), cwd=work, DATABASE_URL=copy_url, LOG_LEVEL="WARNING"
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Import refused: 1 problem; nothing was written." in done.stdout
    assert "updates[13] (x): headline: String should have at least 1 character" in done.stdout


# ------------------------------------------------------------------------------------ databases


async def test_create_save_edit_retract_on_each_database(any_bot: Harness) -> None:
    """The representative path on SQLite and (with TEST_POSTGRES_URL) PostgreSQL."""
    chat = editor(any_bot)
    before = await counts(any_bot)
    shown = await preview(chat, EXCHANGE)
    assert grew(before, await counts(any_bot)) == {"Draft": 1}
    answers = sorted(a.text or "" for a in await concurrent_saves(any_bot, EDITOR, shown))
    assert answers[0].startswith("Already") and answers[1].startswith("Saved as X")
    ref = ref_of(answers[1])
    fact_id = int(ref[1:])
    assert grew(before, await counts(any_bot))["Exchange"] == 1

    edited = await preview(
        chat, f"/edit {ref}\ndate: 24 May 2025\nreturned: Ukraine 390, Russia 391"
    )
    assert "✅ Completed · Sat 24 May 2025" in edited.plain
    assert (await save(chat, edited))[0] == f"Corrected {ref}."
    row = await one(any_bot, Exchange, fact_id)
    assert row.date == dt.date(2025, 5, 24)
    assert "Russia: 391 people" in (await any_bot.chat(5001).ask("/exchanges")).plain

    answer, _ = await save(chat, await chat.ask(f"/retract {ref} double entry"), "Retract")
    assert answer == f"Retracted {ref}."
    row = await one(any_bot, Exchange, fact_id)
    assert row.retracted_at is not None and row.retraction_reason == "double entry"
    assert [e.action for e in await audit_of(any_bot, "exchange", fact_id)] == [
        "create",
        "edit",
        "retract",
    ]
    assert "Sat 24 May 2025" not in (await any_bot.chat(5001).ask("/exchanges")).plain
    assert "Belarus border" not in (await any_bot.chat(5001).ask("/search Belarus")).plain
    history = (await chat.ask(f"/history {ref}")).plain
    assert "created by Test" in history and "— retracted by Test: double entry" in history
    after = await counts(any_bot)
    assert after["Exchange"] == before["Exchange"] + 1  # kept, not deleted


async def test_positions_supersede_and_revert_on_each_database(any_bot: Harness) -> None:
    chat = editor(any_bot)
    (older,) = await rows(
        any_bot,
        Position,
        Position.as_of == dt.date(2024, 6, 14),
        col(Position.stance).contains("NATO"),
    )
    text = POSITION_ASKED.replace("14 June 2024", "yesterday") + f"\nsupersedes: P{older.id}"
    p = ref_of((await add_and_save(chat, text))[0])
    assert (await one(any_bot, Position, older.id)).superseded_by_id == int(p[1:])
    await save(chat, await chat.ask(f"/retract {p} wrong party"), "Retract")
    assert (await one(any_bot, Position, older.id)).superseded_by_id is None
    assert older.stance in (await any_bot.chat(5001).ask("/positions nato")).plain
