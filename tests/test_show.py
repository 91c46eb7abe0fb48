"""/show U12 and its ways in: a fact in full, the lists' 📖 buttons, /start U12, Share, previews.

Runs on SQLite and, with TEST_POSTGRES_URL, on PostgreSQL, through the real Application and the
strict fake Bot API, on the seed. The editor is user 42; readers are other chats.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from core.dates import format_date
from fake_telegram import LocalBotApi, SentMessage, utf16_len
from handlers import subscriptions as subscription_handlers
from kinds.position_chain import Position
from kinds.update import NewsUpdate
from services.delivery import send_due_briefings
from store.models import AuditEntry, Issue, Party, Source, Subscriber
from tests.conftest import Chat, Harness, editor_chat, make_settings, start_harness
from tests.factories import create_round

KYIV = ZoneInfo("Europe/Kyiv")
SEED_SOURCE = (
    "📚 Sources\n1. Reuters — “Second Istanbul round ends fast with new prisoner swap deal, "
    "a day after drone strike on Russian bombers”, Mon 2 Jun 2025"
)
ISTANBUL = "Second round of Russia–Ukraine peace talks in Istanbul"
EXPIRED = "This button has expired — send the command again."
URL = "https://www.reuters.com/world/europe/talks-example-2025-06-03/"


@pytest.fixture
def bot(editor_bot: Harness) -> Harness:
    """The seeded bot on each backend, with user 42 as the only editor."""
    return editor_bot


editor = editor_chat


async def save(chat: Chat, preview: SentMessage, label: str = "Save") -> str:
    """Press Save (or Retract) on a preview; return the callback's answer."""
    await chat.press(preview, label)
    return chat.bot.api.callback_answers[-1].text or ""


async def added_on(h: Harness, kind: str, fact_id: int) -> str:
    """The day (Kyiv time) the audit log says a fact was stored, as /show writes it."""
    async with h.sessions() as session:
        at = (
            await session.exec(
                select(AuditEntry.at)
                .where(AuditEntry.fact_kind == kind, AuditEntry.fact_id == fact_id)
                .order_by(col(AuditEntry.id))
            )
        ).first()
    assert at is not None
    return format_date((at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(KYIV).date())


def markup_buttons(message: SentMessage) -> list[dict[str, Any]]:
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


async def test_show_gives_every_field_source_and_history_of_each_kind(bot: Harness) -> None:
    reader = bot.chat()
    async with bot.sessions() as session:
        u1 = await session.get(NewsUpdate, 1)
    assert u1 is not None and len(u1.summary) > 360  # longer than /latest shows
    cases = {
        "U1": [
            "📰 Update · U1\n\n",
            "Headline: Ukrainian drones strike Russia's nuclear-capable bombers on the eve of "
            "talks\n",
            "Date: Sun 1 Jun 2025",
            f"Summary: {u1.summary}\n",
            "Tags: military, drone strike, bombers, ukraine, russia",
        ],
        "P1": [
            "🧭 Position · P1\n\n",
            "Party: Russia\nIssue: NATO and neutrality\n",
            "As of: Fri 14 Jun 2024",
        ],
        "X1": [
            "🔁 Prisoner exchange · X1\n\n",
            "Status: agreed, not yet carried out\nDate: Mon 2 Jun 2025\n",
            "Returned: to Ukraine: not announced · to Russia: not announced",
            "Who: severely wounded, young people",
            f"Agreed at: {ISTANBUL} · R1",
        ],
        "R1": [
            f"🤝 Round of talks · R1\n\nTitle: {ISTANBUL}\nDate: Mon 2 Jun 2025\n",
            "Place: Istanbul\nVenue: Ciragan Palace\n",
            "Mediator: Turkey (Foreign Minister Hakan Fidan)\n",
            "Delegations: Ukraine — Rustem Umerov, Defence Minister; Russia — not named",
            "Duration: under an hour\nOutcome: ",
            "Outcome: A new prisoner exchange was agreed",
        ],
        "D1": [
            "📄 Document · D1\n\nTitle: Russia's draft memorandum on a peace settlement\n",
            "Status: 📨 Handed over\nType: memorandum\nBy: Russia\n",
            "Issues: Ceasefire, Overall peace terms",
            f"Handed over at: {ISTANBUL} · R1",
            "Key terms: Moscow's own draft of a peace accord",
        ],
    }
    letters = {"U": "update", "P": "position", "X": "exchange", "R": "round", "D": "document"}
    for ref, expected in cases.items():
        shown = await reader.ask(f"/show {ref}")
        assert shown.plain.startswith(expected[0]), shown.plain
        for piece in expected:
            assert piece in shown.plain, (ref, piece, shown.plain)
        added = await added_on(bot, letters[ref[0]], int(ref[1:]))
        assert shown.plain.endswith(f"{SEED_SOURCE}\n\n🕰 History\n🆕 Added {added}"), shown.plain
        assert "RETRACTED" not in shown.plain and "Superseded" not in shown.plain
        assert markup_buttons(shown) == [{"text": "↗️ Share", "switch_inline_query": ref}]
        # The seed's source has no link: nothing to preview.
        assert shown.link_preview == {"is_disabled": True}
    # The list cuts the same summary short.
    listed = (await reader.ask("/search Siberia bombers")).plain
    assert " · U1" in listed and u1.summary[:200] in listed and u1.summary not in listed


async def test_a_correction_and_a_retraction_are_told_and_the_source_is_previewed(
    bot: Harness,
) -> None:
    chat = editor(bot)
    preview = await chat.ask(
        "/add Delegations meet again in Istanbul\ndate: 3 June 2025\n"
        f"source: Reuters {URL}\nsummary: The talks resumed.\ntags: talks"
    )
    answer = await save(chat, preview)
    assert answer.startswith("Saved as U")
    ref = answer.removeprefix("Saved as ").rstrip(".")
    fact_id = int(ref[1:])
    reader = bot.chat()

    shown = await reader.ask(f"/show {ref}")
    assert "Headline: Delegations meet again in Istanbul\nDate: Tue 3 Jun 2025\n" in shown.plain
    assert "📚 Sources\n1. Reuters\n" in shown.plain
    assert {"type": "text_link", "url": URL} in [
        {k: e[k] for k in ("type", "url")} for e in shown.entities if e["type"] == "text_link"
    ]
    # The preview shows the primary source.
    assert shown.link_preview == {"url": URL}

    preview = await chat.ask(f"/edit {ref}\nsummary: The talks resumed after a day's pause.")
    assert await save(chat, preview) == f"Corrected {ref}."
    shown = await reader.ask(f"/show {ref}")
    assert "Summary: The talks resumed after a day's pause.\n" in shown.plain
    added = await added_on(bot, "update", fact_id)
    async with bot.sessions() as session:
        stamps = (
            await session.exec(
                select(AuditEntry.at)
                .where(AuditEntry.fact_kind == "update", AuditEntry.fact_id == fact_id)
                .order_by(col(AuditEntry.id))
            )
        ).all()
    edited = format_date(stamps[-1].replace(tzinfo=dt.UTC).astimezone(KYIV).date())
    assert shown.plain.endswith(f"🕰 History\n🆕 Added {added}\n✏️ Corrected {edited}: summary")

    preview = await chat.ask(f"/retract {ref} the meeting was postponed")
    await save(chat, preview, "Retract")
    shown = await reader.ask(f"/show {ref}")
    async with bot.sessions() as session:
        row = await session.get(NewsUpdate, fact_id)
    assert row is not None and row.retracted_at is not None
    day = format_date(row.retracted_at.replace(tzinfo=dt.UTC).astimezone(KYIV).date())
    assert shown.plain.startswith(
        f"📰 Update · {ref}\n🗑 RETRACTED on {day} — the meeting was postponed\n"
        "Kept for the record; this fact is not current.\n\n"
        "Headline: Delegations meet again in Istanbul"
    ), shown.plain
    assert shown.plain.endswith(f"🗑 Retracted on {day} — the meeting was postponed")
    assert shown.reply_markup is None  # a retracted fact is not offered for sharing
    # Lists leave it out; only /show tells it, marked.
    assert "Delegations meet again" not in (await reader.ask("/latest 20")).plain


async def test_a_fact_says_when_the_round_it_names_was_retracted(bot: Harness) -> None:
    reader = bot.chat()
    round_line = f"Round: {ISTANBUL} · R1"
    assert f"{round_line}\n" in (await reader.ask("/show U4")).plain
    preview = await editor(bot).ask("/retract R1 the round was filed twice")
    await save(editor(bot), preview, "Retract")
    assert f"{round_line} (retracted)\n" in (await reader.ask("/show U4")).plain
    await reader.ask("/language uk")
    assert " · R1 (відкликано)\n" in (await reader.ask("/show U4")).plain


async def test_a_superseded_stance_names_the_current_one(bot: Harness) -> None:
    async with bot.sessions() as session:
        older = (
            await session.exec(
                select(Position)
                .join(Party, col(Party.id) == col(Position.party_id))
                .join(Issue, col(Issue.id) == col(Position.issue_id))
                .where(Party.key == "russia", Issue.key == "nato")
                .where(col(Position.superseded_by_id).is_(None))
            )
        ).one()
    chat = editor(bot)
    preview = await chat.ask(
        "/position\nparty: Russia\nissue: NATO\nstance: Russia now asks for a written pledge.\n"
        f"date: 1 July 2025\nsupersedes: P{older.id}\nsource: Reuters {URL}"
    )
    answer = await save(chat, preview)
    newer = answer.removeprefix("Saved as ").rstrip(".")
    assert newer.startswith("P") and newer != f"P{older.id}"

    reader = bot.chat()
    shown = await reader.ask(f"/show P{older.id}")
    assert (
        f"🧭 Position · P{older.id}\n⚪️ Superseded by {newer} (Tue 1 Jul 2025); "
        "not the current one.\n\nParty: Russia\nIssue: NATO and neutrality\n"
    ) in shown.plain
    assert shown.plain.endswith(f"⚪️ Superseded by {newer} on Tue 1 Jul 2025")
    assert markup_buttons(shown) == [
        {"text": "↗️ Share", "switch_inline_query": f"P{older.id}"},
        {"text": f"➡️ Current: {newer}", "callback_data": f"show:{newer}"},
    ]
    opened = await reader.press(shown, "Current")
    assert len(opened) == 1 and not opened[0].edited
    assert opened[0].plain.startswith(f"🧭 Position · {newer}\n\nParty: Russia\n")
    assert "Stance: Russia now asks for a written pledge." in opened[0].plain
    assert "Superseded" not in opened[0].plain


LISTS = ("/latest", "/positions all", "/exchanges", "/rounds", "/documents", "/search memorandum")


@pytest.mark.parametrize("command", LISTS)
async def test_every_list_item_shows_its_id_and_a_button_that_opens_it(
    bot: Harness, command: str
) -> None:
    reader = bot.chat()
    listed = await reader.ask(command)
    # Readers see ids now, at the end of each item.
    ids = re.findall(r" · ([UPXRD]\d+)(?:\n\n|$)", listed.plain)
    assert ids, listed.plain
    buttons = [b for b in markup_buttons(listed) if b["callback_data"].startswith("show:")]
    assert [b["text"] for b in buttons] == [f"📖 {ref}" for ref in ids]
    assert [b["callback_data"] for b in buttons] == [f"show:{ref}" for ref in ids]
    rows = (listed.reply_markup or {})["inline_keyboard"]
    assert all(len(row) <= 5 for row in rows)
    # The full text comes as a new message below the list, which stays as it was.
    opened = await reader.press(listed, f"📖 {ids[-1]}")
    assert len(opened) == 1 and not opened[0].edited
    assert re.match(rf"\S+ [A-Z][a-z ]+ · {ids[-1]}\n", opened[0].plain), opened[0].plain
    assert "📚 Sources" in opened[0].plain and "🕰 History" in opened[0].plain
    assert bot.api.callback_answers[-1].text is None
    assert listed.link_preview == {"is_disabled": True}


async def test_an_editor_list_still_shows_ids_once(bot: Harness) -> None:
    listed = await editor(bot).ask("/latest 2")
    ids = re.findall(r" · (U\d+)", listed.plain)
    assert len(ids) == 2 and len(set(ids)) == 2
    assert [f"📖 {ref}" for ref in ids] == [b for row in listed.buttons for b, _ in row][:2]


async def test_forged_or_stale_show_buttons_are_answered_cleanly(bot: Harness) -> None:
    reader = bot.chat()
    listed = await reader.ask("/latest 1")
    before = len(bot.api.sent(reader.chat_id))
    for data, answer in (
        ("show:", EXPIRED),
        ("show:Z1", EXPIRED),
        ("show:U0", EXPIRED),
        ("show:U1x", EXPIRED),
        ("show:U99999999999", EXPIRED),
        ("show:U2147483648", EXPIRED),  # beyond any integer column
        ("show:U2147483647", "There is no U2147483647."),
        ("show:U9999", "There is no U9999."),
    ):
        raw = bot.api.make_callback(
            listed.message_id, data, chat_id=reader.chat_id, user_id=5001, check_button=False
        )
        await reader._process(raw)
        assert bot.api.callback_answers[-1].text == answer, data
    assert len(bot.api.sent(reader.chat_id)) == before  # nothing sent, nothing edited


async def test_deep_link_start_answers_with_the_fact(bot: Harness) -> None:
    reader = bot.chat(7001)
    shown = await reader.ask("/start U1")
    assert shown.plain.startswith("📰 Update · U1\n\nHeadline: Ukrainian drones strike")
    assert markup_buttons(shown) == [{"text": "↗️ Share", "switch_inline_query": "U1"}]
    async with bot.sessions() as session:
        assert await session.get(Subscriber, (7001, 0)) is not None  # the chat is remembered
    for plain_start in ("/start", "/start hello", "/start U99999"):
        answer = await bot.chat(7002).ask(plain_start)
        if plain_start == "/start U99999":
            assert answer.plain.startswith("There is no U99999.")
        else:
            assert answer.plain.startswith("👋 Peace talks briefing")
            assert "/show — one fact in full" in answer.plain


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/show", "Usage: /show U12: one fact in full"),
        ("/show abc", "“abc” is not a fact id.\nUsage: /show U12"),
        ("/show U1 U2", "“U1 U2” is not a fact id."),
        ("/show U99999", "There is no U99999.\nUsage: /show U12"),
        ("/show x2147483648", "“x2147483648” is not a fact id."),
        ("/show x2147483647", "There is no X2147483647."),
        ("/show " + "U1" * 200, "That is longer than any command needs."),
    ],
)
async def test_bad_show_input_gets_a_short_answer(bot: Harness, command: str, answer: str) -> None:
    reply = await bot.chat().ask(command)
    assert reply.plain.startswith(answer), reply.plain
    assert reply.reply_markup is None
    assert "Ids are at the end of every item in the lists" in reply.plain or "longer" in answer


async def test_link_previews_are_off_in_the_morning_briefing(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = dt.datetime(2025, 6, 3, 9, 0, tzinfo=dt.UTC)  # 12:00 in Kyiv
    monkeypatch.setattr(subscription_handlers, "utcnow", lambda: now)
    settings = make_settings(database_url)
    async for h in start_harness(settings):
        assert h.app.job_queue is not None
        h.app.job_queue.scheduler.pause()
        await h.chat(6001).ask("/subscribe 11:00")
        await send_due_briefings(h.app.bot, h.sessions, settings, now=now)
        sent = [m for m in h.api.sent(6001) if m.plain.startswith("☀️ Morning briefing")]
        assert sent and all(m.link_preview == {"is_disabled": True} for m in sent)
        assert h.errors == []


async def test_the_fake_checks_link_preview_options() -> None:
    api = LocalBotApi()
    status, body = await api.handle(
        "sendMessage", {"chat_id": 1, "text": "x", "link_preview_options": "{bad"}
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: can't parse link preview options JSON object",
    )
    status, body = await api.handle(
        "sendMessage",
        {"chat_id": 1, "text": "x", "link_preview_options": '{"is_disabled": "yes"}'},
    )
    assert (status, body["description"]) == (
        400,
        'Bad Request: field "is_disabled" must be of type Boolean',
    )
    assert api.sent(1) == []
    status, _ = await api.handle(
        "sendMessage", {"chat_id": 1, "text": "x", "link_preview_options": {"url": URL}}
    )
    assert status == 200 and api.sent(1)[0].link_preview == {"url": URL}


async def test_a_very_long_fact_comes_in_several_messages_within_telegram_limits(
    bot: Harness,
) -> None:
    words = " ".join(f"w{n}" for n in range(700))  # about 3,400 characters
    async with bot.sessions() as session:
        first = Source(name="Anadolu", url=URL, published=dt.date(2025, 6, 2))
        second = Source(name="Reuters", url="https://www.reuters.com/b", title="T" * 400)
        session.add_all([first, second])
        await session.flush()
        assert first.id is not None and second.id is not None
        row = await create_round(
            session,
            date=dt.date(2025, 7, 23),
            place="Istanbul",
            title="Third round " + words[:300],
            mediator="Turkey " + words[:450],
            outcome="Outcome " + words,
            source_ids=[first.id, second.id],
        )
        await session.commit()
    replies = await bot.chat().send(f"/show R{row.id}")
    assert len(replies) == 2
    assert all(utf16_len(r.plain) <= 4096 for r in replies)
    joined = "\n".join(r.plain for r in replies)
    assert f"Outcome: Outcome {words}\n" in joined  # nothing cut
    assert "2. Reuters — “" + "T" * 400 + "”" in joined
    assert [r.link_preview for r in replies] == [{"url": URL}, {"is_disabled": True}]
    assert [r.reply_markup is None for r in replies] == [True, False]  # Share under the last
