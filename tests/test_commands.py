"""Subscriber commands end to end: the real PTB Application, real Updates, the strict fake API.

Every reply goes through `fake_telegram.LocalBotApi`, which refuses HTML Telegram would refuse
and any text over 4096 UTF-16 units; a refused call raises inside a handler, and the fixtures
fail the test on any handler error.  So "the reply was accepted" is checked by every test, and
the assertions here are about what the user reads and what the database holds.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, func, select
from telegram import Update

from fake_telegram import SentMessage, utf16_len
from handlers.command_menu import PUBLIC_COMMANDS
from handlers.positions import PAGE_SIZE as POSITIONS_PAGE_SIZE
from kinds.base import FactKind
from kinds.exchange_tables import Exchange, ExchangeCount
from kinds.position_chain import Position, relink_positions
from kinds.position_views import current_positions
from kinds.registry import SPECS
from kinds.round import TalkRound
from kinds.update import NewsUpdate, latest_updates
from store import facts
from store.models import Citation, Issue, Party, SearchDoc, Source, Subscriber, utcnow
from store.transfer import SEED_FILE
from tests import factories
from tests.conftest import Chat, Harness, checked_harness, make_settings

SEED: dict[str, Any] = json.loads(SEED_FILE.read_text(encoding="utf-8"))
KYIV = ZoneInfo("Europe/Kyiv")
TELEGRAM_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
ALL_TABLES = (
    Subscriber,
    NewsUpdate,
    Position,
    Exchange,
    ExchangeCount,
    TalkRound,
    Source,
    Citation,
    SearchDoc,
    Party,
    Issue,
)


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture
async def any_bot(database_url: str) -> AsyncIterator[Harness]:
    """The seeded bot on SQLite and (with TEST_POSTGRES_URL) on PostgreSQL."""
    async for harness in checked_harness(make_settings(database_url)):
        yield harness


@pytest.fixture
async def any_empty_bot(database_url: str) -> AsyncIterator[Harness]:
    """The unseeded bot on SQLite and (with TEST_POSTGRES_URL) on PostgreSQL."""
    async for harness in checked_harness(make_settings(database_url, seed_on_empty=False)):
        yield harness


# ------------------------------------------------------------------------------------ reading


def day(d: dt.date) -> str:
    """A date as the bot writes it, e.g. 'Mon 2 Jun 2025' (written independently of the bot)."""
    return f"{d:%a} {d.day} {d:%b %Y}"


def html(message: SentMessage) -> str:
    """The raw HTML the bot sent (what Telegram parsed)."""
    assert message.text is not None
    return message.text


def update_lines(message: SentMessage) -> list[tuple[str, str]]:
    """(date, headline) of every news update in a reply, top to bottom."""
    found = []
    for line in message.plain.splitlines():
        if line.startswith("📅 ") and " — " in line:
            date, _, headline = line.removeprefix("📅 ").partition(" — ")
            found.append((date, headline))
    return found


def headlines(message: SentMessage) -> list[str]:
    """The headlines of the news updates in a reply, top to bottom."""
    return [headline for _, headline in update_lines(message)]


def labels(message: SentMessage) -> list[str]:
    """The labels of a message's inline buttons, row by row, but the lists' "📖 U12" buttons."""
    return [label for row in message.buttons for label, _ in row if not label.startswith("📖 ")]


def pager_data(message: SentMessage) -> list[str]:
    """The callback data of a message's buttons, but the "show:U12" of the lists' 📖 buttons."""
    return [data for data in message.callback_data if not data.startswith("show:")]


def assert_buttons_fit(messages: Sequence[SentMessage]) -> None:
    """Every inline button's callback data fits Telegram's 64-byte cap."""
    for message in messages:
        for data in message.callback_data:
            assert 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT, data


def grouped(message: SentMessage) -> list[tuple[str, str, str]]:
    """(group heading, label, stance) of every stance line, from the '— HEADING —' lines."""
    rows = []
    heading = ""
    for line in message.plain.splitlines():
        if line.startswith("— ") and line.endswith(" —"):
            heading = line[2:-2]
        elif line[:2] in ("• ", "🟢 ", "⚪️") and ": " in line:
            who, _, stance = line.split(" ", 1)[1].partition(": ")
            rows.append((heading, who, stance))
    return rows


async def turn_pages(chat: Chat, first: SentMessage, forward: str) -> list[SentMessage]:
    """Press the `forward` button until it is gone; each press must edit the same message."""
    pages = [first]
    while forward in " ".join(labels(pages[-1])):
        edits = await chat.press(pages[-1], forward)
        assert len(edits) == 1, [e.plain for e in edits]
        assert edits[0].edited and edits[0].message_id == first.message_id
        pages.append(edits[0])
        assert len(pages) < 30, "the pager never ends"
    assert_buttons_fit(pages)
    return pages


# ------------------------------------------------------------------------------------ arranging


async def row_counts(bot: Harness) -> dict[str, int]:
    """How many rows every table holds."""
    async with bot.sessions() as session:
        counts = {}
        for model in ALL_TABLES:
            result = await session.exec(select(func.count()).select_from(model))
            counts[model.__name__] = int(result.one())
        return counts


async def add_source(
    session: Any, name: str, *, url: str | None = None, published: dt.date | None = None
) -> int:
    """Store a source and return its id."""
    source = Source(name=name, url=url, published=published)
    session.add(source)
    await session.flush()
    assert source.id is not None
    return source.id


async def add_party(session: Any, key: str, name: str, aliases: Sequence[str] = ()) -> Party:
    """Store a party."""
    party = Party(key=key, name=name, aliases=facts.join_list(aliases))
    session.add(party)
    await session.flush()
    return party


async def add_issue(session: Any, key: str, name: str, aliases: Sequence[str] = ()) -> Issue:
    """Store an issue."""
    issue = Issue(key=key, name=name, aliases=facts.join_list(aliases))
    session.add(issue)
    await session.flush()
    return issue


async def add_updates(
    bot: Harness, *items: tuple[dt.date, str], summary: str = "", source: str | None = "Reuters"
) -> None:
    """Store news updates (date, headline), each citing one source unless `source` is None."""
    async with bot.sessions() as session:
        source_ids = [await add_source(session, source)] if source else []
        for date, headline in items:
            await factories.create_update(
                session, date=date, headline=headline, summary=summary, source_ids=source_ids
            )
        await session.commit()


async def retract(
    bot: Harness, model: Any, fact_id: int, *, kind: FactKind | None = None, reason: str = "wrong"
) -> None:
    """Retract a fact; with `kind`, also take it out of search as the import does."""
    async with bot.sessions() as session:
        row = await session.get(model, fact_id)
        assert row is not None
        row.retracted_at = utcnow()
        row.retraction_reason = reason
        session.add(row)
        if kind is not None:
            await facts.drop_search_doc(session, kind=kind, fact_id=fact_id)
        if isinstance(row, Position):
            await relink_positions(session, party_id=row.party_id, issue_id=row.issue_id)
        await session.commit()


async def seed_id(bot: Harness, model: Any, key: str) -> int:
    """The id of a seed fact by its key."""
    async with bot.sessions() as session:
        row = (await session.exec(select(model).where(model.key == key))).one()
        return int(row.id)


def seed_updates_newest_first() -> list[dict[str, Any]]:
    """Seed updates as /latest must list them: newest date first, the day's lead first, then
    later-filed first."""
    updates = SEED["updates"]
    order = sorted(
        range(len(updates)),
        key=lambda i: (updates[i]["date"], bool(updates[i].get("lead")), i),
        reverse=True,
    )
    return [updates[i] for i in order]


# ==================================================================================== /start


async def test_start_greets_lists_commands_and_records_the_chat(any_bot: Harness) -> None:
    chat = any_bot.chat(5001, language_code="uk")
    reply = await chat.ask("/start")

    # A Ukrainian user is greeted in Ukrainian (tests/test_i18n.py covers every language).
    assert "мирні переговори Росії та України 2025 року" in reply.plain
    for command in ("/latest", "/positions", "/exchanges", "/rounds", "/search", "/help"):
        assert command in reply.plain
    async with any_bot.sessions() as session:
        row = await session.get(Subscriber, (5001, 0))
    assert row is not None
    assert (row.chat_id, row.chat_type, row.language_code, row.subscribed) == (
        5001,
        "private",
        "uk",
        False,
    )
    assert row.first_seen is not None and row.first_seen == row.last_seen
    assert row.first_seen.tzinfo is not None
    assert abs(utcnow() - row.last_seen) < dt.timedelta(hours=1)


async def test_second_start_keeps_first_seen_and_bumps_last_seen(any_bot: Harness) -> None:
    await any_bot.chat(5001, language_code="en").ask("/start")
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    async with any_bot.sessions() as session:
        row = await session.get(Subscriber, (5001, 0))
        assert row is not None
        row.first_seen = row.last_seen = long_ago
        session.add(row)
        await session.commit()

    await any_bot.chat(5001, language_code="de").ask("/start")

    async with any_bot.sessions() as session:
        rows = (await session.exec(select(Subscriber))).all()
    assert len(rows) == 1
    assert rows[0].first_seen == long_ago
    assert rows[0].last_seen > long_ago
    assert rows[0].language_code == "de"
    assert rows[0].subscribed is False


async def test_start_in_a_group_records_the_group(seeded_bot: Harness) -> None:
    group = seeded_bot.chat(-1001234, chat_type="supergroup", user_id=77)
    await group.ask("/start@BriefingTestBot")
    async with seeded_bot.sessions() as session:
        row = await session.get(Subscriber, (-1001234, 0))
    assert row is not None
    assert (row.chat_type, row.language_code, row.subscribed) == ("supergroup", "en", False)


# ==================================================================================== /help


async def test_help_lists_every_public_command_with_description_and_example(
    seeded_bot: Harness,
) -> None:
    reply = await seeded_bot.chat().ask("/help")
    lines = reply.plain.splitlines()
    names = [c.name for c in PUBLIC_COMMANDS]
    assert {"latest", "positions", "exchanges", "rounds", "search", "help"} <= set(names)
    for command in PUBLIC_COMMANDS:
        head = lines.index(f"/{command.name} — {command.description}")
        assert len(command.description) > 3
        assert lines[head + 1].strip() == f"e.g. {command.example}"
        assert command.example.startswith(f"/{command.name}")
    assert "/positions history territory" in reply.plain
    assert "/latest since 1 June 2025" in reply.plain
    # The command menu Telegram shows offers the same commands.
    assert [c["command"] for c in seeded_bot.api.commands()] == names


# ==================================================================================== /latest


async def test_latest_shows_five_newest_seed_updates(any_bot: Harness) -> None:
    reply = await any_bot.chat().ask("/latest")
    expected = seed_updates_newest_first()[:5]

    assert reply.plain.startswith("📰 Latest updates (1–5, newest first)")
    assert update_lines(reply) == [("Mon 2 Jun 2025", u["headline"]) for u in expected]
    for update in expected:
        assert update["summary"][:120] in reply.plain
    assert reply.plain.count("Source: Reuters, Mon 2 Jun 2025") == 5
    # The default view pages on to older updates too.
    assert labels(reply) == ["Older ▶"]
    assert pager_data(reply) == ["latest:5:0:0:5"]


async def test_latest_n_gives_n_updates(seeded_bot: Harness) -> None:
    reply = await seeded_bot.chat().ask("/latest 3")
    expected = [u["headline"] for u in seed_updates_newest_first()[:3]]
    assert headlines(reply) == expected
    assert "(1–3, newest first)" in reply.plain


async def test_latest_since_a_date_includes_that_day_and_excludes_earlier(
    seeded_bot: Harness,
) -> None:
    chat = seeded_bot.chat()
    drone_strike = next(u for u in SEED["updates"] if u["date"] == "2025-06-01")["headline"]

    since_first = await turn_pages(chat, await chat.ask("/latest 20 since 1 June 2025"), "Older")
    shown = [line for page in since_first for line in update_lines(page)]
    assert "since Sun 1 Jun 2025" in since_first[0].plain
    assert len(shown) == len(SEED["updates"]) == 12
    assert shown[-1] == ("Sun 1 Jun 2025", drone_strike)  # the oldest comes last

    since_second = await turn_pages(chat, await chat.ask("/latest 20 since 2 June 2025"), "Older")
    shown = [line for page in since_second for line in update_lines(page)]
    assert "since Mon 2 Jun 2025" in since_second[0].plain
    assert len(shown) == 11
    assert all(date == "Mon 2 Jun 2025" for date, _ in shown)
    assert drone_strike not in [headline for _, headline in shown]


async def test_latest_since_relative_dates_in_kyiv_time(empty_bot: Harness) -> None:
    today = dt.datetime.now(KYIV).date()
    await add_updates(
        empty_bot,
        *[(today - dt.timedelta(days=n), f"Filed {n} days ago") for n in (0, 2, 5, 10)],
    )
    chat = empty_bot.chat()

    yesterday = await chat.ask("/latest since yesterday")
    assert headlines(yesterday) == ["Filed 0 days ago"]
    assert f"since {day(today - dt.timedelta(days=1))}" in yesterday.plain
    assert update_lines(yesterday)[0][0] == day(today)

    three_days = await chat.ask("/latest since 3 days ago")
    assert headlines(three_days) == ["Filed 0 days ago", "Filed 2 days ago"]

    last_week = await chat.ask("/latest since last week")
    assert headlines(last_week) == ["Filed 0 days ago", "Filed 2 days ago", "Filed 5 days ago"]

    everything = await chat.ask("/latest 10 since 2 weeks ago")
    assert headlines(everything)[-1] == "Filed 10 days ago"


async def test_latest_since_a_day_with_nothing_newer_says_so(seeded_bot: Harness) -> None:
    reply = await seeded_bot.chat().ask("/latest since 1 July 2025")
    assert "No updates on file since Tue 1 Jul 2025" in reply.plain
    assert update_lines(reply) == []


async def test_latest_pages_through_twelve_updates(any_empty_bot: Harness) -> None:
    first = dt.date(2025, 5, 1)
    await add_updates(
        any_empty_bot,
        *[(first + dt.timedelta(days=n), f"Update {n + 1:02d}") for n in range(12)],
    )
    chat = any_empty_bot.chat()

    page1 = await chat.ask("/latest")
    assert headlines(page1) == [f"Update {n:02d}" for n in (12, 11, 10, 9, 8)]
    assert update_lines(page1)[0][0] == "Mon 12 May 2025"
    assert "(1–5, newest first)" in page1.plain
    assert labels(page1) == ["Older ▶"]

    [page2] = await chat.press(page1, "Older")
    assert page2.edited and page2.message_id == page1.message_id
    assert headlines(page2) == [f"Update {n:02d}" for n in (7, 6, 5, 4, 3)]
    assert "(6–10, newest first)" in page2.plain
    assert labels(page2) == ["◀ Newer", "Older ▶"]

    [page3] = await chat.press(page2, "Older")
    assert page3.edited and page3.message_id == page1.message_id
    assert headlines(page3) == ["Update 02", "Update 01"]
    assert "(11–12, newest first)" in page3.plain
    assert labels(page3) == ["◀ Newer"]

    [back] = await chat.press(page3, "Newer")
    assert back.edited and back.message_id == page1.message_id
    assert headlines(back) == headlines(page2)
    [top] = await chat.press(back, "Newer")
    assert headlines(top) == headlines(page1)
    assert labels(top) == ["Older ▶"]

    assert_buttons_fit([page1, page2, page3, back, top])
    # Every press was answered, so the user's spinner stops.
    assert len(any_empty_bot.api.callback_answers) == 4
    # The chat holds one message: pages were edits, not new messages.
    assert [m.edited for m in any_empty_bot.api.sent(chat.chat_id)] == [False] + [True] * 4


async def test_latest_n_is_the_page_size_and_pages_go_back_to_the_first(
    empty_bot: Harness,
) -> None:
    first = dt.date(2025, 5, 1)
    await add_updates(
        empty_bot, *[(first + dt.timedelta(days=n), f"Update {n + 1:02d}") for n in range(12)]
    )
    chat = empty_bot.chat()
    pages = await turn_pages(chat, await chat.ask("/latest 7"), "Older")
    assert [headlines(p) for p in pages] == [
        [f"Update {n:02d}" for n in (12, 11, 10, 9, 8, 7, 6)],
        [f"Update {n:02d}" for n in (5, 4, 3, 2, 1)],
    ]
    assert "(8–12, newest first)" in pages[-1].plain
    assert labels(pages[-1]) == ["◀ Newer"]
    assert pager_data(pages[0]) == ["latest:7:0:0:7"]


# ==================================================================================== bad input


EXCHANGES_USAGE = (
    "Usage: /exchanges (newest first), /exchanges YEAR or /exchanges chart [YEAR], "
    "e.g. /exchanges 2025"
)
ROUNDS_USAGE = (
    "Usage: /rounds (newest first), /rounds PAGE or /rounds chart (a timeline), e.g. /rounds 2"
)
BAD_INPUT = [
    ("/latest abc", ["“abc” is not a number of updates", "Usage: /latest [N] [since|until|in"]),
    ("/latest 0", ["I can show 1 to 20 updates at a time", "Usage: /latest"]),
    ("/latest 9999", ["I can show 1 to 20 updates at a time", "Usage: /latest"]),
    ("/latest -3", ["“-3” is not a number of updates"]),
    ("/latest 5 since", ["Usage: /latest [N] [since|until|in|between DATE]"]),
    ("/latest since blurgh", ["I couldn't read “blurgh” as a date", "in May 2025"]),
    (
        "/latest between 15 and 1 June 2025",
        [
            "The end, Sun 1 Jun 2025, is before the start, Sun 15 Jun 2025: "
            "put the earlier date first."
        ],
    ),
    (
        "/latest since 1 June 2025 until 1 May 2025",
        [
            "The end, Thu 1 May 2025, is before the start, Sun 1 Jun 2025: "
            "put the earlier date first."
        ],
    ),
    ("/latest between 15 and blurgh", ["I couldn't read “15 and blurgh”", "since mid-March"]),
    ("/latest in early blurgh", ["I couldn't read “early blurgh” as a date"]),
    ("/latest *5*", ["“*5*” is not a number of updates"]),
    ("/positions history", ["Which issue?", "/positions history ISSUE"]),
    ("/positions history russia", ["History is kept per issue; Russia is a party"]),
    ("/search", ["What should I look for?", "Usage: /search WORDS"]),
    ("/exchanges foo", [EXCHANGES_USAGE]),
    ("/exchanges 1812", [EXCHANGES_USAGE]),
    ("/exchanges 2025 chart", [EXCHANGES_USAGE]),
    ("/rounds foo", [ROUNDS_USAGE]),
    ("/rounds 0", [ROUNDS_USAGE]),
    ("/rounds 2", ["There is no page 2: the list is shorter. /rounds shows the first."]),
    ("/documents foo", ["Usage: /documents (newest first) or /documents PAGE, e.g. /documents 2"]),
    ("/documents -1", ["Usage: /documents (newest first) or /documents PAGE"]),
    ("/search ?! …", ["What should I look for?"]),
    ("/search " + "x" * 5000, ["That is longer than any command needs", "/help"]),
    ("/latest " + "9" * 500, ["That is longer than any command needs"]),
    ("/foo", ["I don't know /foo. Send /help to see what I can do."]),
    ("/cancel", ["Nothing to cancel: no form is open."]),
    ("/Skip", ["Nothing to skip: no form is open."]),
    ("/news", ["I don't know /news. Did you mean /latest? /help lists everything."]),
    ("/timeline", ["I don't know /timeline. Did you mean /rounds? /help lists everything."]),
    ("/lates 3", ["I don't know /lates. Did you mean /latest? /help lists everything."]),
    ("/exchange", ["This command is for editors. Did you mean /exchanges?"]),
    ("/round", ["This command is for editors. Did you mean /rounds?"]),
    ("what is going on?", ["I answer commands rather than chat", "/help"]),
]


@pytest.mark.parametrize(("text", "expected"), BAD_INPUT, ids=[t[:30] for t, _ in BAD_INPUT])
async def test_bad_input_gets_a_short_usage_reply_and_writes_nothing(
    seeded_bot: Harness, text: str, expected: list[str]
) -> None:
    before = await row_counts(seeded_bot)
    reply = await seeded_bot.chat().ask(text)
    for fragment in expected:
        assert fragment in reply.plain
    assert len(reply.plain) < 700
    assert "Traceback" not in reply.plain and "Sorry, something went wrong" not in reply.plain
    assert update_lines(reply) == []
    assert await row_counts(seeded_bot) == before


async def test_unknown_party_or_issue_lists_what_is_known(seeded_bot: Harness) -> None:
    before = await row_counts(seeded_bot)
    reply = await seeded_bot.chat().ask("/positions Narnia")
    assert "I don't know “Narnia” as a party or an issue" in reply.plain
    assert "Parties: Russia, Turkey, Ukraine, United States" in reply.plain
    issues_line = next(line for line in reply.plain.splitlines() if line.startswith("Issues:"))
    for issue in SEED["issues"]:
        assert issue["name"] in issues_line
    assert "Did you mean" not in reply.plain
    assert await row_counts(seeded_bot) == before


async def test_misspelt_party_gets_a_suggestion(seeded_bot: Harness) -> None:
    reply = await seeded_bot.chat().ask("/positions rusia")
    assert "I don't know “rusia”" in reply.plain
    assert "Did you mean Russia?" in reply.plain
    assert "<b>Russia</b>" in html(reply)


async def test_html_in_search_words_is_escaped(seeded_bot: Harness) -> None:
    before = await row_counts(seeded_bot)
    reply = await seeded_bot.chat().ask("/search <b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in html(reply)
    assert "Nothing on file matches “<b>x</b>”" in reply.plain
    assert reply.entities == []  # the user's tags did not turn into formatting
    assert await row_counts(seeded_bot) == before


async def test_html_in_a_party_name_is_escaped(seeded_bot: Harness) -> None:
    reply = await seeded_bot.chat().ask("/positions <script>alert(1)</script>")
    assert "&lt;script&gt;" in html(reply)
    assert "I don't know “<script>alert(1)</script>”" in reply.plain


async def test_markdown_in_a_name_is_read_as_the_name(seeded_bot: Harness) -> None:
    reply = await seeded_bot.chat().ask("/positions *russia*")
    assert reply.plain.startswith("🧭 Where Russia stands")


async def test_free_text_in_a_group_gets_no_reply(seeded_bot: Harness) -> None:
    group = seeded_bot.chat(-1001234, chat_type="supergroup", user_id=77)
    assert await group.send("what is going on?") == []
    assert await group.send("I think /latest is neat") == []


# ==================================================================================== groups


async def test_commands_addressed_to_this_bot_work_in_groups(seeded_bot: Harness) -> None:
    group = seeded_bot.chat(-1001234, chat_type="supergroup", user_id=77)
    reply = await group.ask("/latest@BriefingTestBot 2")
    assert headlines(reply) == [u["headline"] for u in seed_updates_newest_first()[:2]]
    unknown = await group.ask("/foo@BriefingTestBot")
    assert "I don't know /foo" in unknown.plain


async def test_commands_for_another_bot_are_ignored_in_groups(seeded_bot: Harness) -> None:
    group = seeded_bot.chat(-1001234, chat_type="group", user_id=77)
    assert await group.send("/latest@SomeOtherBot") == []
    assert await group.send("/foo@SomeOtherBot") == []
    assert await group.send("/start@SomeOtherBot") == []
    async with seeded_bot.sessions() as session:
        assert await session.get(Subscriber, (-1001234, 0)) is None


# ==================================================================================== /positions


def seed_current_stances() -> set[tuple[str, str, str]]:
    """(issue name, party name, stance) of every seed position (the seed has no superseded)."""
    parties = {p["key"]: p["name"] for p in SEED["parties"]}
    issues = {i["key"]: i["name"] for i in SEED["issues"]}
    return {(issues[p["issue"]], parties[p["party"]], p["stance"]) for p in SEED["positions"]}


async def test_positions_lists_every_current_stance_grouped_by_issue(seeded_bot: Harness) -> None:
    chat = seeded_bot.chat()
    pages = await turn_pages(chat, await chat.ask("/positions all"), "More")
    assert len(pages) == -(-len(SEED["positions"]) // POSITIONS_PAGE_SIZE)
    assert pages[0].plain.startswith("🧭 Current positions")
    assert labels(pages[-1]) == ["◀ Back"]
    assert all(len(grouped(page)) == POSITIONS_PAGE_SIZE for page in pages[:-1])

    rows = [row for page in pages for row in grouped(page)]
    assert {(h, who, stance) for h, who, stance in rows} == {
        (issue.upper(), party, stance) for issue, party, stance in seed_current_stances()
    }
    assert len(rows) == len(SEED["positions"])
    # Grouped: issues in alphabetical order, each issue's stances together.
    headings = [h for h, _, _ in rows]
    assert headings == sorted(headings)
    # An issue name with an apostrophe survives upper-casing and escaping.
    assert "— LIMITS ON UKRAINE'S MILITARY —" in " ".join(p.plain for p in pages)
    everything = "\n".join(p.plain for p in pages)
    assert everything.count("as of Fri 14 Jun 2024 · Source: Reuters, Mon 2 Jun 2025") == 2
    assert everything.count("as of Mon 2 Jun 2025 · Source: Reuters, Mon 2 Jun 2025") == 12


@pytest.mark.parametrize("name", ["russia", "RUSSIA", "Moscow", "kremlin"])
async def test_positions_of_a_party(seeded_bot: Harness, name: str) -> None:
    reply = await seeded_bot.chat().ask(f"/positions {name}")
    assert reply.plain.startswith("🧭 Where Russia stands")
    rows = grouped(reply)
    assert {h for h, _, _ in rows} == {"RUSSIA"}
    assert [issue for _, issue, _ in rows] == [
        "Deported children",
        "Mediation and the US role",
        "NATO and neutrality",
        "Overall peace terms",
        "Territory",
    ]
    plain = reply.plain
    assert "NATO and neutrality: Putin's opening terms for ending the war at once" in plain
    assert "as of Fri 14 Jun 2024 · Source: Reuters, Mon 2 Jun 2025" in plain
    assert "as of Mon 2 Jun 2025 · Source: Reuters, Mon 2 Jun 2025" in plain
    assert "Seeks reparations" not in plain  # Ukraine's stance


async def test_positions_on_nato(seeded_bot: Harness) -> None:
    reply = await seeded_bot.chat().ask("/positions nato")
    assert reply.plain.startswith("🧭 Current positions on NATO and neutrality")
    stance = next(p for p in SEED["positions"] if p["key"] == "russia-nato-2024-06-14")
    assert grouped(reply) == [("NATO AND NEUTRALITY", "Russia", stance["stance"])]
    assert "as of Fri 14 Jun 2024 · Source: Reuters, Mon 2 Jun 2025" in reply.plain


async def test_positions_by_issue_alias(seeded_bot: Harness) -> None:
    reply = await seeded_bot.chat().ask("/positions kids")
    assert reply.plain.startswith("🧭 Current positions on Deported children")
    rows = grouped(reply)
    assert [(who, stance[:40]) for _, who, stance in rows] == [
        ("Russia", "Says the children in question were moved"),
        ("Ukraine", "Says children were deported to Russia an"),
    ]
    assert reply.plain.count("as of Mon 2 Jun 2025 · Source: Reuters") == 2


@pytest.mark.parametrize(
    ("command", "header"),
    [
        ("/positions росія нато", "🧭 Where Russia stands on NATO and neutrality"),
        ("/positions россия нато", "🧭 Where Russia stands on NATO and neutrality"),
        ("/positions україна", "🧭 Where Ukraine stands"),
        ("/positions дети", "🧭 Current positions on Deported children"),
        ("/positions історія територія", "🕰 How positions on Territory changed"),
        ("/positions история территория", "🕰 How positions on Territory changed"),
    ],
)
async def test_positions_take_parties_issues_and_history_in_ukrainian_and_russian(
    seeded_bot: Harness, command: str, header: str
) -> None:
    # They answered "I don't know “росія” as a party or an issue."
    assert (await seeded_bot.chat().ask(command)).plain.startswith(header)


async def test_positions_history_of_a_seed_issue(seeded_bot: Harness) -> None:
    reply = await seeded_bot.chat().ask("/positions history territory")
    assert reply.plain.startswith("🕰 How positions on Territory changed (by party, oldest first)")
    assert "— RUSSIA —" in reply.plain
    assert "Territory: Putin's opening terms: Ukraine must withdraw its forces" in reply.plain
    assert "as of Fri 14 Jun 2024 (current) · Source: Reuters, Mon 2 Jun 2025" in reply.plain


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "/positions ukraine nato",
            "No stance of Ukraine on NATO and neutrality is on file yet. "
            "/positions nato shows every party's.",
        ),
        (
            "/positions history nato ukraine",
            "No stance of Ukraine on NATO and neutrality is on file yet. "
            "/positions history nato shows every party's.",
        ),
        (
            "/positions turkey",
            "No stance of Turkey is on file yet. /positions shows where the parties stand.",
        ),
        (
            "/positions ceasefire",
            "No party's stance on Ceasefire is on file yet. "
            "/positions shows the issues that have some.",
        ),
        (
            "/positions history ceasefire",
            "No party's stance on Ceasefire is on file yet. "
            "/positions shows the issues that have some.",
        ),
    ],
)
async def test_positions_with_nothing_on_file_name_what_was_asked(
    seeded_bot: Harness, command: str, expected: str
) -> None:
    # Russia's NATO stance is on file, so "no positions on that issue" would be untrue.
    assert (await seeded_bot.chat().ask(command)).plain == expected


async def _two_stances(bot: Harness) -> tuple[int, int]:
    """Ukraine on territory as of 1 Jan 2025, superseded by a stance as of 1 Mar 2025."""
    async with bot.sessions() as session:
        ukraine = await add_party(session, "ukraine", "Ukraine", ["kyiv"])
        russia = await add_party(session, "russia", "Russia", ["moscow"])
        territory = await add_issue(session, "territory", "Territory", ["land"])
        src = await add_source(session, "Kyiv Independent", published=dt.date(2025, 3, 2))
        older = await factories.create_position(
            session,
            party=ukraine,
            issue=territory,
            stance="No talks until troops withdraw to 1991 borders",
            as_of=dt.date(2025, 1, 1),
            source_ids=[src],
        )
        # The newer stance replaces the older only because it says so.
        newer = await factories.create_position(
            session,
            party=ukraine,
            issue=territory,
            stance="Ready to freeze the front line as a start",
            as_of=dt.date(2025, 3, 1),
            source_ids=[src],
            supersedes=[f"P{older.id}"],
        )
        await factories.create_position(
            session,
            party=russia,
            issue=territory,
            stance="Four regions are Russian",
            as_of=dt.date(2025, 2, 1),
        )
        await session.commit()
        assert newer.id is not None and older.id is not None
        return older.id, newer.id


async def test_a_newer_stance_supersedes_the_older(any_empty_bot: Harness) -> None:
    older_id, newer_id = await _two_stances(any_empty_bot)
    async with any_empty_bot.sessions() as session:
        older = await session.get(Position, older_id)
        newer = await session.get(Position, newer_id)
    assert older is not None and newer is not None
    assert older.superseded_by_id == newer_id
    assert newer.superseded_by_id is None

    chat = any_empty_bot.chat()
    current = await chat.ask("/positions ukraine")
    assert grouped(current) == [
        ("UKRAINE", "Territory", "Ready to freeze the front line as a start")
    ]
    assert "as of Sat 1 Mar 2025 · Source: Kyiv Independent, Sun 2 Mar 2025" in current.plain
    assert "1991 borders" not in current.plain

    history = await chat.ask("/positions history land")
    lines = [
        line for line in history.plain.splitlines() if line[:2] in ("🟢 ", "⚪️") and ": " in line
    ]
    # Grouped by party (one header each), oldest first inside.
    assert [line[:2] for line in lines] == ["🟢 ", "⚪️", "🟢 "]
    assert "Territory: Four regions are Russian" in lines[0]
    assert "Territory: No talks until troops withdraw to 1991 borders" in lines[1]
    assert "Territory: Ready to freeze the front line" in lines[2]
    assert history.plain.count("— UKRAINE —") == 1 and history.plain.count("— RUSSIA —") == 1
    plain = history.plain
    assert "as of Sat 1 Mar 2025 (current)" in plain
    assert "as of Sat 1 Feb 2025 (current)" in plain
    assert "as of Wed 1 Jan 2025 (superseded)" in plain
    assert plain.index("Sat 1 Feb 2025") < plain.index("Wed 1 Jan 2025")
    assert plain.index("Wed 1 Jan 2025") < plain.index("Sat 1 Mar 2025")
    assert "No source on file" in plain  # Russia's stance cites nothing


async def test_a_retracted_stance_vanishes_and_the_older_is_current_again(
    any_empty_bot: Harness,
) -> None:
    older_id, newer_id = await _two_stances(any_empty_bot)
    await retract(any_empty_bot, Position, newer_id, kind=FactKind.POSITION)

    async with any_empty_bot.sessions() as session:
        older = await session.get(Position, older_id)
        newer = await session.get(Position, newer_id)
    assert older is not None and newer is not None
    assert older.superseded_by_id is None
    assert newer.retracted_at is not None and newer.retraction_reason == "wrong"

    chat = any_empty_bot.chat()
    current = await chat.ask("/positions ukraine")
    assert grouped(current) == [
        ("UKRAINE", "Territory", "No talks until troops withdraw to 1991 borders")
    ]
    history = await chat.ask("/positions history territory")
    assert "front line" not in history.plain
    assert "as of Wed 1 Jan 2025 (current)" in history.plain
    assert "(superseded)" not in history.plain
    nothing = await chat.ask("/search freeze front line")
    assert nothing.plain.startswith("Nothing on file matches")


# ==================================================================================== /exchanges


async def _exchanges(bot: Harness) -> None:
    """Three completed swaps of 23–25 May 2025, one in 2024, and one only agreed."""
    async with bot.sessions() as session:
        ukraine = await add_party(session, "ukraine", "Ukraine")
        russia = await add_party(session, "russia", "Russia")
        src = await add_source(
            session, "Reuters", url="https://example.org/swap?day=23&lang=en", published=None
        )
        for date, count in (
            (dt.date(2025, 5, 23), 390),
            (dt.date(2025, 5, 24), 307),
            (dt.date(2025, 5, 25), 303),
        ):
            await factories.create_exchange(
                session,
                date=date,
                returned=[(ukraine, count), (russia, count)],
                status="completed",
                categories=["soldiers", "civilians"],
                mediator="United Arab Emirates",
                source_ids=[src],
            )
        await factories.create_exchange(
            session,
            date=dt.date(2024, 12, 30),
            returned=[(ukraine, 189), (russia, 150)],
            status="completed",
            source_ids=[src],
        )
        await factories.create_exchange(
            session,
            date=dt.date(2025, 6, 2),
            returned=[(ukraine, None), (russia, None)],
            status="agreed",
            categories=["severely wounded", "young people"],
            mediator="Turkey",
        )
        await session.commit()


async def test_exchanges_newest_first_with_yearly_totals(any_empty_bot: Harness) -> None:
    await _exchanges(any_empty_bot)
    reply = await any_empty_bot.chat().ask("/exchanges")
    plain = reply.plain

    assert "2025 totals (3 completed exchanges): Russia: 1,000 people · Ukraine: 1,000 people" in (
        plain
    )
    assert "2024 totals (1 completed exchange): Russia: 150 people · Ukraine: 189 people" in plain
    heads = [line for line in plain.splitlines() if line.startswith(("⏳", "✅"))]
    assert heads == [
        "⏳ AGREED, NOT YET CARRIED OUT · agreed Mon 2 Jun 2025",
        "✅ Completed · Sun 25 May 2025",
        "✅ Completed · Sat 24 May 2025",
        "✅ Completed · Fri 23 May 2025",
        "✅ Completed · Mon 30 Dec 2024",
    ]
    assert "Returned to Ukraine: 390 people · to Russia: 390 people" in plain
    assert "Returned to Ukraine: 303 people · to Russia: 303 people" in plain
    assert "Returned to Ukraine: not announced · to Russia: not announced" in plain
    assert plain.count("Who: soldiers, civilians") == 3
    assert plain.count("Mediator: United Arab Emirates") == 3
    assert "Who: severely wounded, young people\nMediator: Turkey" in plain
    assert '<a href="https://example.org/swap?day=23&amp;lang=en">Reuters</a>' in html(reply)
    links = [e["url"] for e in reply.entities if e["type"] == "text_link"]
    assert links == ["https://example.org/swap?day=23&lang=en"] * 4
    # The agreed exchange cites nothing, and says so.
    agreed_block = plain.split("\n\n")[1]
    assert re.search(r"⚠️ No source on file\. · X\d+$", agreed_block), agreed_block


async def _a_week_of_exchanges(bot: Harness, *, last: str = "completed") -> Party:
    """Exchanges on 1–7 January 2025 returning 10, 20, … 70 people to Ukraine (the last `last`)."""
    async with bot.sessions() as session:
        ukraine = await add_party(session, "ukraine", "Ukraine")
        for n in range(7):
            await factories.create_exchange(
                session,
                date=dt.date(2025, 1, 1) + dt.timedelta(days=n),
                returned=[(ukraine, 10 * (n + 1))],
                status=last if n == 6 else "completed",
            )
        await session.commit()
    return ukraine


async def test_exchanges_page_when_there_are_many(empty_bot: Harness) -> None:
    await _a_week_of_exchanges(empty_bot)
    chat = empty_bot.chat()
    pages = await turn_pages(chat, await chat.ask("/exchanges"), "Older")
    assert len(pages) == 2
    assert "2025 totals (7 completed exchanges): Ukraine: 280 people" in pages[0].plain
    assert "totals" not in pages[1].plain
    assert "Returned to Ukraine: 10 people" in pages[1].plain  # the oldest, last
    assert "Returned to Ukraine: 70 people" in pages[0].plain  # the newest, first


async def test_exchanges_of_one_year_with_that_years_totals(any_empty_bot: Harness) -> None:
    await _exchanges(any_empty_bot)
    chat = any_empty_bot.chat()
    older = await chat.ask("/exchanges 2024")
    plain = older.plain
    assert plain.startswith(
        "🔁 Prisoner exchanges in 2024 (newest first)\n"
        "2024 totals (1 completed exchange): Russia: 150 people · Ukraine: 189 people"
    )
    assert "2025 totals" not in plain
    heads = [line for line in plain.splitlines() if line.startswith(("⏳", "✅"))]
    assert heads == ["✅ Completed · Mon 30 Dec 2024"]
    assert pager_data(older) == ["xchart:2024"]
    newer = (await chat.ask("/exchanges 2025")).plain
    assert "2025 totals (3 completed exchanges)" in newer and "2024 totals" not in newer
    assert "Mon 30 Dec 2024" not in newer
    assert (await chat.ask("/exchanges all")).plain == (await chat.ask("/exchanges")).plain
    none = await chat.ask("/exchanges 2019")
    assert none.plain == "No prisoner exchanges on file for 2019."
    await chat.send("/language uk")
    uk = (await chat.ask("/exchanges 2024")).plain
    assert uk.startswith("🔁 Обміни полоненими у 2024 році (спершу найновіші)\n")
    assert (await chat.ask("/exchanges foo")).plain == (
        "Як користуватися: /exchanges (спершу найновіші), /exchanges РІК або "
        "/exchanges chart [РІК], напр. /exchanges 2025"
    )


async def test_one_years_exchanges_page_within_that_year(empty_bot: Harness) -> None:
    ukraine = await _a_week_of_exchanges(empty_bot, last="agreed")
    async with empty_bot.sessions() as session:
        await factories.create_exchange(
            session, date=dt.date(2024, 12, 31), returned=[(ukraine, 5)], status="completed"
        )
        await session.commit()
    chat = empty_bot.chat()
    pages = await turn_pages(chat, await chat.ask("/exchanges 2025"), "Older")
    assert len(pages) == 2
    assert pager_data(pages[0]) == ["exch:2025:5", "xchart:2025"]
    assert "2025 totals (6 completed exchanges): Ukraine: 210 people" in pages[0].plain
    assert pages[1].plain.startswith("🔁 Prisoner exchanges in 2025 (newest first)\n\n")
    assert "Returned to Ukraine: 10 people" in pages[1].plain  # 1 January, the oldest of 2025
    assert "Returned to Ukraine: 5 people" not in pages[1].plain  # 2024's
    older = await chat.ask("/exchanges 2024")
    assert "2024 totals (1 completed exchange): Ukraine: 5 people" in older.plain


async def test_rounds_take_a_page_number(empty_bot: Harness) -> None:
    async with empty_bot.sessions() as session:
        for n in range(1, 6):
            await factories.create_round(
                session, date=dt.date(2025, 5, n), place="Istanbul", title=f"Round {n}"
            )
        await session.commit()
    chat = empty_bot.chat()
    first, everything = await chat.ask("/rounds"), await chat.ask("/rounds all")
    assert everything.plain == first.plain
    assert "Round 5" in first.plain and "Round 1" not in first.plain
    second = await chat.ask("/rounds 2")
    assert second.plain.startswith("🗓 Rounds of talks (newest first)")
    assert "Round 1" in second.plain and "Round 2" not in second.plain
    assert (await chat.ask("/rounds 3")).plain == (
        "There is no page 3: the list is shorter. /rounds shows the first."
    )
    await chat.send("/language ru")
    assert (await chat.ask("/rounds foo")).plain == (
        "Как пользоваться: /rounds (сначала самые новые), /rounds СТРАНИЦА или "
        "/rounds chart (хронология), напр. /rounds 2"
    )


async def test_exchanges_on_the_seed_store(seeded_bot: Harness) -> None:
    reply = await seeded_bot.chat().ask("/exchanges")
    plain = reply.plain
    assert "No completed exchanges on file yet." in plain
    assert "⏳ AGREED, NOT YET CARRIED OUT · agreed Mon 2 Jun 2025" in plain
    assert "Returned to Ukraine: not announced · to Russia: not announced" in plain
    assert "Who: severely wounded, young people" in plain
    assert "Agreed at: Second round of Russia–Ukraine peace talks in Istanbul (Mon 2 Jun 2025)" in (
        plain
    )
    assert "Source: Reuters, Mon 2 Jun 2025" in plain


async def test_exchange_categories_read_in_the_readers_language(seeded_bot: Harness) -> None:
    async with seeded_bot.sessions() as session:
        parties = (await session.exec(select(Party).order_by(col(Party.id)))).all()
        await factories.create_exchange(
            session,
            date=dt.date(2025, 6, 20),
            returned=[(p, 10) for p in parties[:2]],
            status="completed",
            categories=["Prisoners of War", "medics", "CHILDREN"],
        )
        await session.commit()
    chat = seeded_bot.chat()
    english = (await chat.ask("/exchanges")).plain
    assert "Who: severely wounded, young people" in english
    assert "Who: Prisoners of War, medics, CHILDREN" in english  # as typed
    await chat.send("/language uk")
    ukrainian = (await chat.ask("/exchanges")).plain
    assert "Хто: тяжкопоранені, молодь" in ukrainian
    # Case does not matter; a word not in the vocabulary reads as typed.
    assert "Хто: Військовополонені, medics, Діти" in ukrainian
    assert "severely wounded" not in ukrainian and "young people" not in ukrainian
    await chat.send("/language ru")
    russian = (await chat.ask("/exchanges")).plain
    assert "Кто: тяжелораненые, молодёжь" in russian
    assert "Кто: Военнопленные, medics, Дети" in russian
    async with seeded_bot.sessions() as session:  # stored as typed
        stored = (await session.exec(select(Exchange.categories))).all()
    assert "severely wounded, young people" in stored


# ==================================================================================== /rounds


async def test_rounds_show_the_istanbul_round(any_bot: Harness) -> None:
    reply = await any_bot.chat().ask("/rounds")
    lines = reply.plain.splitlines()
    start = lines.index("🤝 Second round of Russia–Ukraine peace talks in Istanbul")
    assert lines[start + 1 : start + 7] == [
        "📅 Mon 2 Jun 2025 · 📍 Istanbul, Ciragan Palace",
        "Mediator: Turkey (Foreign Minister Hakan Fidan)",
        "Delegations: Ukraine — Rustem Umerov, Defence Minister; Russia — not named",
        "Duration: under an hour",
        "Outcome: " + SEED["rounds"][0]["outcome"],
        "Source: Reuters, Mon 2 Jun 2025 · R1",
    ]


async def test_rounds_newest_first_with_date_ranges(empty_bot: Harness) -> None:
    async with empty_bot.sessions() as session:
        for date, end, title in (
            (dt.date(2025, 5, 16), None, "First Istanbul round"),
            (dt.date(2025, 7, 23), dt.date(2025, 7, 24), "Third round"),
            (dt.date(2025, 6, 2), None, "Second Istanbul round"),
        ):
            await factories.create_round(
                session, date=date, end_date=end, place="Istanbul", title=title
            )
        await session.commit()
    reply = await empty_bot.chat().ask("/rounds")
    titles = [line[2:] for line in reply.plain.splitlines() if line.startswith("🤝 ")]
    assert titles == ["Third round", "Second Istanbul round", "First Istanbul round"]
    assert "📅 Wed 23 Jul – Thu 24 Jul 2025 · 📍 Istanbul" in reply.plain
    assert reply.plain.count("No source on file.") == 3


# ==================================================================================== /search


KIND_LABELS = {f"{spec.icon} {spec.label}" for spec in SPECS}


async def test_search_finds_facts_of_every_kind(any_bot: Harness) -> None:
    chat = any_bot.chat()

    children = await chat.ask("/search children")
    assert children.plain.startswith("🔎 Results for “children” (best match first)")
    kinds = [line for line in children.plain.splitlines() if line in KIND_LABELS]
    assert set(kinds) == {"🧭 Position", "📰 Update", "🤝 Round of talks"}
    assert "Ukraine on Deported children: Says children were deported" in children.plain
    assert "Russia on Deported children: Says the children in question" in children.plain
    assert "Ukraine hands Russia a list of children it says were deported" in children.plain

    draft = await chat.ask("/search memorandum")
    assert "Russia gives Ukraine its draft peace document; Kyiv will study it" in draft.plain
    assert "Russia on Overall peace terms" in draft.plain

    ohio = await chat.ask("/search Ohio")
    assert headlines(ohio) == [
        "Russia holds nearly a fifth of Ukraine after its fastest advance in six months"
    ]
    assert "about the size of the US state of Ohio" in ohio.plain
    assert "Source: Reuters, Mon 2 Jun 2025" in ohio.plain

    exchange = await chat.ask("/search exchange")
    assert "🔁 Prisoner exchange" in exchange.plain
    assert "⏳ AGREED, NOT YET CARRIED OUT · agreed Mon 2 Jun 2025" in exchange.plain


async def test_search_ranks_the_best_match_first(any_empty_bot: Harness) -> None:
    # The searched word must be rare, as in a real store: on SQLite, bm25 gives a word found in
    # half of all facts or more no weight, and such results come newest first.
    others = ["Sanctions on oil exports", "Drone strike on bombers", "Grain deal", "Summit plans"]
    await add_updates(
        any_empty_bot,
        (dt.date(2025, 1, 1), "Ceasefire, ceasefire and again ceasefire"),
        (dt.date(2025, 5, 1), "Talks went on for hours about many things, a ceasefire among them"),
        *[(dt.date(2025, 6, n + 1), headline) for n, headline in enumerate(others)],
    )
    reply = await any_empty_bot.chat().ask("/search ceasefire")
    # The stronger match wins although it is older.
    assert headlines(reply) == [
        "Ceasefire, ceasefire and again ceasefire",
        "Talks went on for hours about many things, a ceasefire among them",
    ]


async def test_search_without_a_match_says_what_to_try(seeded_bot: Harness) -> None:
    reply = await seeded_bot.chat().ask("/search zeppelin")
    assert (
        reply.plain == "Nothing on file matches “zeppelin”.\nTry fewer or other words, or /latest."
    )


async def test_search_does_not_find_retracted_facts(seeded_bot: Harness) -> None:
    chat = seeded_bot.chat()
    ohio_id = await seed_id(seeded_bot, NewsUpdate, "russia-territory-fastest-advance-may-2025")
    await retract(seeded_bot, NewsUpdate, ohio_id, kind=FactKind.UPDATE)
    assert (await chat.ask("/search Ohio")).plain.startswith("Nothing on file matches “Ohio”")

    # Even if the search index still holds a retracted fact, it is not shown.
    children_id = await seed_id(seeded_bot, NewsUpdate, "ukraine-hands-over-deported-children-list")
    await retract(seeded_bot, NewsUpdate, children_id)
    reply = await chat.ask("/search children")
    assert "Ukraine hands Russia a list of children" not in reply.plain
    assert "Ukraine on Deported children" in reply.plain
    latest = await turn_pages(chat, await chat.ask("/latest 20"), "Older")
    shown = [h for page in latest for h in headlines(page)]
    assert len(shown) == 10
    assert not any("Ohio" in h or "list of children" in h for h in shown)


async def test_search_pages_with_more(any_bot: Harness) -> None:
    chat = any_bot.chat()
    first = await chat.ask("/search ukraine russia")
    assert labels(first) == ["More ▶"]
    pages = await turn_pages(chat, first, "More")
    assert len(pages) >= 2
    assert labels(pages[1])[0] == "◀ Back"
    blocks = [block for page in pages for block in page.plain.split("\n\n")[1:]]
    assert len(blocks) == len(set(blocks))  # no fact shown twice
    assert all(block.splitlines()[0] in KIND_LABELS for block in blocks)
    assert all("Results for “ukraine russia”" in page.plain for page in pages)
    [back] = await chat.press(pages[-1], "Back")
    assert back.plain == pages[-2].plain


async def test_search_buttons_fit_with_a_long_non_latin_query(empty_bot: Harness) -> None:
    # 46 bytes of UTF-8 fit the button; with "діти та" (60 bytes) the data would be 69 bytes.
    words = "переговори Стамбул обмін діти та полоненими депортовані"
    await add_updates(
        empty_bot, *[(dt.date(2025, 6, n), f"{words} — випуск {n}") for n in range(1, 8)]
    )
    chat = empty_bot.chat()
    pages = await turn_pages(chat, await chat.ask(f"/search {words}"), "More")
    assert [len(headlines(p)) for p in pages] == [5, 2]
    assert pager_data(pages[0]) == ["search:переговори стамбул обмін:5"]


# ==================================================================================== rendering


async def test_a_fact_without_a_source_says_so(empty_bot: Harness) -> None:
    await add_updates(empty_bot, (dt.date(2025, 6, 3), "Unsourced rumour of a summit"), source=None)
    reply = await empty_bot.chat().ask("/latest")
    assert headlines(reply) == ["Unsourced rumour of a summit"]
    assert "⚠️ No source on file." in reply.plain
    assert "Source:" not in reply.plain


async def test_sources_are_linked_and_listed(empty_bot: Harness) -> None:
    async with empty_bot.sessions() as session:
        ids = [
            await add_source(
                session, "Kyiv Independent", url="https://kyivindependent.com/a?x=1&y=2"
            ),
            await add_source(session, "Reuters", published=dt.date(2025, 6, 2)),
            await add_source(session, "AP", url="https://apnews.com/b"),
            await add_source(session, "BBC"),
        ]
        await factories.create_update(
            session, date=dt.date(2025, 6, 2), headline="Widely reported", source_ids=ids
        )
        await session.commit()
    reply = await empty_bot.chat().ask("/latest")
    assert '<a href="https://kyivindependent.com/a?x=1&amp;y=2">Kyiv Independent</a>' in html(reply)
    assert "Sources: Kyiv Independent; Reuters, Mon 2 Jun 2025; AP and 1 more" in reply.plain
    links = {e["url"] for e in reply.entities if e["type"] == "text_link"}
    assert links == {"https://kyivindependent.com/a?x=1&y=2", "https://apnews.com/b"}


NASTY = "Talks <b>resume</b> & \"hope\" </i> <script>alert(1)</script> 'ok'"


async def test_stored_strings_are_shown_literally(empty_bot: Harness) -> None:
    async with empty_bot.sessions() as session:
        src = await add_source(session, "<i>Daily</i> & Co", url='https://e.org/?q="<x>"&a=1')
        await factories.create_update(
            session,
            date=dt.date(2025, 6, 2),
            headline=NASTY,
            summary="Summary with </i> & <script>x()</script> & &amp; inside",
            source_ids=[src],
        )
        party = await add_party(session, "a-b", "Alpha & <Beta>")
        issue = await add_issue(session, "x", "Gamma's </b> issue")
        await factories.create_position(
            session,
            party=party,
            issue=issue,
            stance="Wants <u>all</u> & more",
            as_of=dt.date(2025, 6, 2),
        )
        await factories.create_exchange(
            session,
            date=dt.date(2025, 6, 2),
            returned=[(party, 5)],
            status="completed",
            categories=["<b>bold</b> & co"],
            mediator="Mr <Smith> & Sons",
            note="Note </a>",
        )
        await factories.create_round(
            session, date=dt.date(2025, 6, 2), place="Geneva & <Lausanne>", title="Round <1>"
        )
        await session.commit()
    chat = empty_bot.chat()

    latest = await chat.ask("/latest")
    assert headlines(latest) == [NASTY]
    assert "Summary with </i> & <script>x()</script> & &amp; inside" in latest.plain
    assert "&lt;b&gt;resume&lt;/b&gt; &amp; &quot;hope&quot; &lt;/i&gt; &lt;script&gt;" in html(
        latest
    )
    assert "Source: <i>Daily</i> & Co" in latest.plain
    assert [e["url"] for e in latest.entities if e["type"] == "text_link"] == [
        'https://e.org/?q="<x>"&a=1'
    ]

    positions = await chat.ask("/positions all")
    assert grouped(positions) == [
        ("GAMMA'S </B> ISSUE", "Alpha & <Beta>", "Wants <u>all</u> & more")
    ]
    history = await chat.ask("/positions history gamma's </b> issue")
    assert "How positions on Gamma's </b> issue changed" in history.plain

    exchanges = await chat.ask("/exchanges")
    assert "Returned to Alpha & <Beta>: 5 people" in exchanges.plain
    assert "Alpha & <Beta>: 5 people" in exchanges.plain.splitlines()[1]
    assert "Who: <b>bold</b> & co\nMediator: Mr <Smith> & Sons" in exchanges.plain
    assert "Note: Note </a>" in exchanges.plain

    rounds = await chat.ask("/rounds")
    assert "🤝 Round <1>\n📅 Mon 2 Jun 2025 · 📍 Geneva & <Lausanne>" in rounds.plain

    found = await chat.ask("/search hope")
    assert NASTY in found.plain


async def test_long_content_stays_within_telegram_limits(empty_bot: Harness) -> None:
    summary_words = " ".join(f"w{n}" for n in range(800))[:3000]
    async with empty_bot.sessions() as session:
        src = await add_source(session, "Reuters")
        for n in range(20):
            await factories.create_update(
                session,
                date=dt.date(2025, 1, 1) + dt.timedelta(days=n),
                headline=f"Headline {n + 1:02d} " + "long " * 60,
                summary=f"lengthy {summary_words}",
                source_ids=[src],
            )
        await session.commit()
    chat = empty_bot.chat()

    pages = await turn_pages(chat, await chat.ask("/latest 20"), "Older")
    assert len(pages) >= 3  # 20 asked per page; as many as fit in each message
    assert "(1–" + str(len(headlines(pages[0]))) + ", newest first)" in pages[0].plain
    seen = [h.split(" long")[0] for page in pages for h in headlines(page)]
    assert seen == [f"Headline {n:02d}" for n in range(20, 0, -1)]
    for page in pages:
        assert utf16_len(page.plain) <= TELEGRAM_LIMIT
        blocks = page.plain.split("\n\n")[1:]
        for block in blocks:
            headline_line, summary_line, source = block.splitlines()
            assert headline_line.endswith("…")
            assert summary_line.startswith("lengthy w0 w1") and summary_line.endswith("…")
            assert re.fullmatch(r"Source: Reuters · U\d+", source), source

    found = await turn_pages(chat, await chat.ask("/search lengthy"), "More")
    assert sum(len(headlines(p)) for p in found) == 20
    assert all(utf16_len(p.plain) <= TELEGRAM_LIMIT for p in found)


async def test_long_stances_are_split_over_pages(empty_bot: Harness) -> None:
    async with empty_bot.sessions() as session:
        issue = await add_issue(session, "territory", "Territory " + "t" * 200)
        srcs = [await add_source(session, f"Source {n} " + "s" * 100) for n in range(5)]
        for n in range(20):
            party = await add_party(session, f"p{n:02d}", f"Party {n:02d} " + "p" * 120)
            await factories.create_position(
                session,
                party=party,
                issue=issue,
                stance=f"Stance {n:02d} " + "word " * 600,
                as_of=dt.date(2025, 6, 2),
                source_ids=srcs,
            )
        await session.commit()
    chat = empty_bot.chat()
    pages = await turn_pages(chat, await chat.ask("/positions all"), "More")
    stances = [stance.split(" word")[0] for page in pages for _, _, stance in grouped(page)]
    assert stances == [f"Stance {n:02d}" for n in range(20)]
    for page in pages:
        assert utf16_len(page.plain) <= TELEGRAM_LIMIT
        assert "History of an issue: /positions history ISSUE" in page.plain


async def test_forged_or_stale_buttons_are_answered_without_errors(seeded_bot: Harness) -> None:
    chat = seeded_bot.chat()
    message = await chat.ask("/positions")
    before = len(seeded_bot.api.callback_answers)
    for data in ("latest:x:y:5", "latest:5", "pos:hist:abc:0", "pos:now:pzz:0", "pos:x"):
        raw = seeded_bot.api.make_callback(
            message.message_id, data, chat_id=chat.chat_id, check_button=False
        )
        await seeded_bot.app.process_update(Update.de_json(raw, seeded_bot.app.bot))
    answers = seeded_bot.api.callback_answers[before:]
    assert [a.text for a in answers] == ["This button has expired — send the command again."] * 5


async def test_editors_and_readers_see_fact_ids(seeded_bot: Harness) -> None:
    async with seeded_bot.sessions() as session:
        newest = (await latest_updates(session, limit=1)).items[0]
        current = await current_positions(session, limit=1)
    editor = await seeded_bot.chat(42).ask("/latest 1")
    assert editor.plain.endswith(f"· U{newest.id}")
    assert f"<code>U{newest.id}</code>" in (editor.text or "")
    reader = await seeded_bot.chat(43).ask("/latest 1")
    assert reader.plain.endswith(f"· U{newest.id}")  # readers quote and /show them
    positions = await seeded_bot.chat(42).ask("/positions all")
    assert f"· P{current.items[0].id}" in positions.plain
