"""Issue 11: /latest pages to the first fact within a date window; order within a day (event
time and the editor's lead); /search reads ordinals and dates and falls back to some words.

Through the real Application against the strict fake Bot API, on SQLite and (with
TEST_POSTGRES_URL) PostgreSQL. The editor is user 42.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, select
from telegram import Update

from kinds.dataset import dump_dataset
from kinds.export import export_dataset
from kinds.round import TalkRound, list_rounds
from kinds.transfer import import_bytes
from kinds.update import NewsUpdate
from store.transfer import SEED_FILE
from tests.conftest import Chat, Harness, checked_harness, make_settings
from tests.test_commands import (
    add_updates,
    assert_buttons_fit,
    headlines,
    labels,
    turn_pages,
    update_lines,
)
from tests.test_dataset import DATA, import_into

EDITOR = 42
STALE = "This button has expired — send the command again."
SEED: dict[str, Any] = json.loads(SEED_FILE.read_text(encoding="utf-8"))


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    """The seeded bot; user 42 edits."""
    async for harness in checked_harness(make_settings(database_url)):
        yield harness


@pytest.fixture
async def empty(database_url: str) -> AsyncIterator[Harness]:
    """The unseeded bot; user 42 edits."""
    async for harness in checked_harness(make_settings(database_url, seed_on_empty=False)):
        yield harness


@pytest.fixture
async def talks(database_url: str) -> AsyncIterator[Harness]:
    """The bot on a store holding tests/data/talks-2025.json (and not the seed)."""
    report = await import_into(database_url)
    assert report.ok, report.errors
    async for harness in checked_harness(make_settings(database_url, seed_on_empty=False)):
        yield harness


def editor(h: Harness) -> Chat:
    return h.chat(EDITOR, user_id=EDITOR)


async def forged(h: Harness, chat: Chat, data: str) -> str | None:
    """Press a button with made-up data; return the answer the spinner got."""
    message = await chat.ask("/latest")
    raw = h.api.make_callback(message.message_id, data, chat_id=chat.chat_id, check_button=False)
    await h.app.process_update(Update.de_json(raw, h.app.bot))
    return h.api.callback_answers[-1].text


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


# ==================================================================================== /latest


async def test_latest_in_a_month_lists_that_month_only_and_pages_keep_the_window(
    empty: Harness,
) -> None:
    await add_updates(
        empty,
        *[(d, f"Filed {d.isoformat()}") for d in days(dt.date(2025, 4, 28), dt.date(2025, 6, 3))],
    )
    chat = empty.chat()
    pages = await turn_pages(chat, await chat.ask("/latest in May 2025"), "Older")
    assert pages[0].plain.startswith("📰 Latest updates, 1–31 May 2025 (1–5, newest first)")
    shown = [h for page in pages for h in headlines(page)]
    assert shown == [
        f"Filed {d.isoformat()}" for d in reversed(days(dt.date(2025, 5, 1), dt.date(2025, 5, 31)))
    ]
    may = f"{dt.date(2025, 5, 1).toordinal()}:{dt.date(2025, 5, 31).toordinal()}"
    assert [d for d in pages[0].callback_data if not d.startswith("show:")] == [f"latest:5:{may}:5"]
    assert pages[-1].plain.startswith("📰 Latest updates, 1–31 May 2025 (31–31, newest first)")
    assert labels(pages[-1]) == ["◀ Newer"]


async def test_latest_since_a_month_starts_on_its_first_day(empty: Harness) -> None:
    await add_updates(
        empty,
        (dt.date(2025, 4, 30), "Last of April"),
        (dt.date(2025, 5, 1), "First of May"),
        (dt.date(2025, 5, 29), "Late May"),
    )
    reply = await empty.chat().ask("/latest since May 2025")
    assert reply.plain.startswith("📰 Latest updates since Thu 1 May 2025 (1–2, newest first)")
    assert headlines(reply) == ["Late May", "First of May"]


async def test_latest_reads_approximate_phrases_and_shows_them_as_read(empty: Harness) -> None:
    await add_updates(
        empty,
        *[(dt.date(2025, 3, d), f"March {d}") for d in (10, 14, 15, 16, 25)],
        *[(dt.date(2025, 6, d), f"June {d}") for d in (1, 10, 11, 15, 16, 30)],
    )
    chat = empty.chat()
    mid_march = await chat.ask("/latest 20 since mid-March 2025")
    assert "Latest updates since Sat 15 Mar 2025" in mid_march.plain
    assert headlines(mid_march)[-3:] == ["March 25", "March 16", "March 15"]

    early = await chat.ask("/latest in early June 2025")
    assert early.plain.startswith("📰 Latest updates, 1–10 Jun 2025")
    assert headlines(early) == ["June 10", "June 1"]

    between = await chat.ask("/latest between 1 and 15 June 2025")
    assert between.plain.startswith("📰 Latest updates, 1–15 Jun 2025")
    assert headlines(between) == ["June 15", "June 11", "June 10", "June 1"]
    same = await chat.ask("/latest between 1 June and 15 June 2025")
    assert headlines(same) == headlines(between)

    until = await chat.ask("/latest 3 until mid-March 2025")
    assert until.plain.startswith("📰 Latest updates until Sat 15 Mar 2025 (1–3")
    assert headlines(until) == ["March 15", "March 14", "March 10"]

    ukrainian = await chat.ask("/latest у червні 2025")
    assert ukrainian.plain.startswith("📰 Latest updates, 1–30 Jun 2025")
    assert headlines(ukrainian)[0] == "June 30"

    nothing = await chat.ask("/latest in April 2025")
    assert nothing.plain == "No updates on file 1–30 Apr 2025. Try /rounds or /positions."


async def test_latest_bad_dates_get_examples_and_forged_pages_are_answered(empty: Harness) -> None:
    await add_updates(empty, (dt.date(2025, 6, 2), "Only one"))
    chat = empty.chat()
    bad = await chat.ask("/latest since the twelfth of never")
    assert bad.plain.startswith("I couldn't read “the twelfth of never” as a date")
    assert "since mid-March, until 15 June 2025, in May 2025" in bad.plain
    assert bad.buttons == []
    backwards = await chat.ask("/latest between 15 and 1 June 2025")
    assert backwards.plain == (
        "The end, Sun 1 Jun 2025, is before the start, Sun 15 Jun 2025: put the earlier date first."
    )

    huge = "9" * 40
    for data in (
        f"latest:5:0:0:{huge}",  # an offset no store reaches
        "latest:5:0:0:2147483647",
        f"latest:5:{huge}:0:5",
        "latest:21:0:0:5",  # more per page than allowed
        "latest:0:0:0:5",
        f"latest:5:{dt.date(2025, 6, 2).toordinal()}:{dt.date(2025, 6, 1).toordinal()}:0",
        "latest:5:0:5",
        "latest:5:a:b:c:5",
    ):
        assert await forged(empty, chat, data) == STALE, data


# ====================================================================== order within a day


async def test_the_seed_lists_the_istanbul_outcome_first_on_2_june(bot: Harness) -> None:
    reply = await bot.chat().ask("/latest 3")
    lead = next(u for u in SEED["updates"] if u.get("lead"))
    assert lead["key"] == "new-prisoner-exchange-agreed-2025-06-02"
    assert update_lines(reply)[0] == ("Mon 2 Jun 2025", lead["headline"])


async def test_editors_set_time_and_lead_and_lists_order_by_them(empty: Harness) -> None:
    day = dt.date(2025, 6, 2)
    await add_updates(empty, (day, "No time given"), (dt.date(2025, 6, 1), "The day before"))
    chat = editor(empty)
    for headline, extra in (
        ("Morning briefing", "time: 09:15"),
        ("Evening statement", "time: 18:00"),
        ("Talks end with a swap agreed", "time: 14:30\nlead: yes"),
    ):
        preview = await chat.ask(
            f"/add {headline}\ndate: 2 June 2025\nsource: Reuters https://www.reuters.com/x\n"
            f"{extra}"
        )
        if "lead" in extra:
            assert "🕑 Time: 14:30 · ⭐ The day's lead story (listed first)" in preview.plain
        await chat.press(preview, "Save")
    async with empty.sessions() as session:
        rows = (await session.exec(select(NewsUpdate).order_by(col(NewsUpdate.id)))).all()
    assert [(r.headline, r.event_time, r.lead) for r in rows[2:]] == [
        ("Morning briefing", dt.time(9, 15), False),
        ("Evening statement", dt.time(18, 0), False),
        ("Talks end with a swap agreed", dt.time(14, 30), True),
    ]
    reader = empty.chat(5001)
    latest = await reader.ask("/latest 10")
    assert update_lines(latest) == [
        ("Mon 2 Jun 2025, 14:30", "Talks end with a swap agreed"),
        ("Mon 2 Jun 2025, 18:00", "Evening statement"),
        ("Mon 2 Jun 2025, 09:15", "Morning briefing"),
        ("Mon 2 Jun 2025", "No time given"),
        ("Sun 1 Jun 2025", "The day before"),
    ]

    # /edit takes the same lines: the lead moves to the morning briefing.
    lead_id, morning_id = rows[4].id, rows[2].id
    for fact_id, line in ((lead_id, "lead: no"), (morning_id, "lead: yes")):
        preview = await chat.ask(f"/edit U{fact_id}\n{line}")
        await chat.press(preview, "Save")
    latest = await reader.ask("/latest 10")
    assert headlines(latest)[:3] == [
        "Morning briefing",
        "Evening statement",
        "Talks end with a swap agreed",
    ]
    current = await chat.ask(f"/edit U{morning_id}")
    assert "time: 09:15" in current.plain and "lead: yes" in current.plain

    # Bad values are refused with the format, and nothing is stored.
    refused = await chat.ask("/add Odd\ndate: 2 June 2025\ntime: 25:99\nlead: perhaps")
    assert "time: write it as HH:MM, e.g. 14:30 (got “25:99”)." in refused.plain
    assert "lead: answer yes or no." in refused.plain
    async with empty.sessions() as session:
        assert len((await session.exec(select(NewsUpdate))).all()) == 5


async def test_time_and_lead_travel_through_import_and_export(empty: Harness) -> None:
    SOURCE = {"name": "Reuters", "url": "https://www.reuters.com/world/"}
    data = {
        "format": "peace-briefing/1",
        "rounds": [
            {
                "key": "r-plain",
                "date": "2025-06-02",
                "place": "Istanbul",
                "title": "Side talks",
                "sources": [SOURCE],
            },
            {
                "key": "r-lead",
                "date": "2025-06-02",
                "place": "Istanbul",
                "title": "Main round",
                "time": "13:00",
                "lead": True,
                "sources": [SOURCE],
            },
            {
                "key": "r-next",
                "date": "2025-06-03",
                "place": "Ankara",
                "title": "Next day",
                "sources": [SOURCE],
            },
        ],
    }
    async with empty.sessions() as session:
        report = await import_bytes(session, json.dumps(data))
        assert report.ok, report.errors
        page = await list_rounds(session, limit=10)
        assert [r.title for r in page.items] == ["Next day", "Main round", "Side talks"]
        exported = json.loads(dump_dataset(await export_dataset(session)))
        rows = (await session.exec(select(TalkRound).order_by(col(TalkRound.id)))).all()
    assert [(r.event_time, r.lead) for r in rows] == [
        (None, False),
        (dt.time(13, 0), True),
        (None, False),
    ]
    by_key = {r["key"]: r for r in exported["rounds"]}
    assert (by_key["r-lead"]["time"], by_key["r-lead"]["lead"]) == ("13:00", True)
    assert "time" not in by_key["r-plain"] and "lead" not in by_key["r-plain"]
    rounds = await empty.chat().ask("/rounds")
    assert rounds.plain.index("Main round") < rounds.plain.index("Side talks")


# ==================================================================================== the 2025 set


async def test_latest_pages_back_to_the_first_fact_of_the_2025_set(talks: Harness) -> None:
    chat = talks.chat()
    pages = await turn_pages(chat, await chat.ask("/latest"), "Older")
    shown = [line for page in pages for line in update_lines(page)]
    updates = DATA["updates"]
    order = sorted(range(len(updates)), key=lambda i: (updates[i]["date"], i), reverse=True)
    expected = [updates[i] for i in order]  # newest first; later-filed first on a tie
    assert len(shown) == len(DATA["updates"]) == 14
    assert [h for _, h in shown] == [u["headline"] for u in expected]
    assert shown[-1] == ("Tue 18 Feb 2025", expected[-1]["headline"])
    assert labels(pages[-1]) == ["◀ Newer"]
    assert_buttons_fit(pages)


THIRD_ROUND = (
    "🤝 Round of talks\nThird round of Russia–Ukraine talks in Istanbul\n📅 Wed 23 Jul 2025"
)


@pytest.mark.parametrize(
    "query", ["third round Istanbul", "3rd round Istanbul", "Istanbul round 3"]
)
async def test_search_reads_round_ordinals_in_any_spelling(talks: Harness, query: str) -> None:
    reply = await talks.chat().ask(f"/search {query}")
    blocks = reply.plain.split("\n\n")[1:]
    # Facts naming the third Istanbul round come first: the round and the exchange agreed there.
    assert any(block.startswith(THIRD_ROUND) for block in blocks[:2]), blocks[:2]
    assert any("Agreed at the third Istanbul round" in block for block in blocks[:2])


@pytest.mark.parametrize("query", ["2025-07-23", "23 July 2025", "23 Jul 2025"])
async def test_search_reads_dates(talks: Harness, query: str) -> None:
    chat = talks.chat()
    pages = await turn_pages(chat, await chat.ask(f"/search {query}"), "More")
    blocks = [block for page in pages for block in page.plain.split("\n\n")[1:]]
    assert any(block.startswith(THIRD_ROUND) for block in blocks)
    assert "some of the words" not in pages[0].plain  # every word matched
    assert "some of them" not in pages[0].plain
    # Every fact of that day is found, the round, its exchange and the stances of that day.
    same_day = [
        item
        for section in ("rounds", "updates", "positions", "exchanges", "documents")
        for item in DATA[section]
        if item.get("date", item.get("as_of")) == "2025-07-23"
    ]
    assert len(same_day) >= 5
    assert len(blocks) >= len(same_day)
    texts = "\n".join(blocks)
    for item in same_day:
        words = item.get("stance") or item.get("note") or item.get("title") or ""
        assert words[:40] in texts, words


async def test_search_for_an_id_quoted_from_a_list_opens_that_fact(bot: Harness) -> None:
    chat = bot.chat(5001)
    shown = await chat.ask("/search x1")  # was "Nothing on file matches “X1”."
    assert shown.plain.startswith("🔁 Prisoner exchange · X1\n\nStatus: agreed, not yet carried")
    assert shown.plain == (await chat.ask("/show X1")).plain
    assert (await chat.ask("/search U999")).plain.startswith("There is no U999.")
    words = await chat.ask("/search x1 istanbul")  # an id among words is searched as a word
    assert words.plain.startswith("🔎 Results for “x1 istanbul”")


async def test_search_with_few_all_word_matches_adds_some_word_matches_once(
    talks: Harness,
) -> None:
    chat = editor(talks)  # editors see each fact's id, so a repeat would show
    pages = await turn_pages(chat, await chat.ask("/search third round Istanbul"), "More")
    text = "\n\n".join(page.plain for page in pages)
    divider = "Fewer matches for all words; results with some of the words:"
    assert text.count(divider) == 1
    before, after = text.split(divider)
    assert "Third round of Russia–Ukraine talks in Istanbul" in before
    # The other Istanbul rounds follow, ranked, among the some-word matches.
    assert "First round of direct Russia–Ukraine talks in Istanbul" in after
    assert "Second round of Russia–Ukraine peace talks in Istanbul" in after
    refs = re.findall(r" · ([UPXRD]\d+)$", text, re.MULTILINE)
    assert len(refs) > 10
    assert len(refs) == len(set(refs)), "a fact shown twice"

    none_all = await chat.ask("/search Istanbul zeppelin")
    assert "No match for all the words; results with some of them:" in none_all.plain
    assert "Istanbul" in none_all.plain.split("results with some of them:")[1]
    nothing = await chat.ask("/search zeppelin blimp")
    assert nothing.plain.startswith("Nothing on file matches “zeppelin blimp”.")


# ==================================================================================== migration


async def test_migration_0010_adds_time_and_lead_and_makes_stored_facts_findable_by_date(
    database_url: str,
) -> None:
    from alembic import command
    from sqlalchemy import text

    from kinds.queries import search_facts
    from store.db import alembic_config, create_engine, make_session_factory, upgrade_schema
    from store.models import SearchDoc
    from tests import factories

    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        async with make_session_factory(engine)() as session:
            row = await factories.create_update(
                session, date=dt.date(2025, 6, 2), headline="Third round ends early"
            )
            await session.commit()
            fact_id = row.id
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0009"))
            # As 0009 indexed it: the fact's own words only.
            await conn.execute(text("UPDATE search_doc SET body = 'Third round ends early'"))
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "head"))
        async with make_session_factory(engine)() as session:
            doc = (await session.exec(select(SearchDoc))).one()
            stored = await session.get(NewsUpdate, fact_id)
            found = await search_facts(session, query="2025-06-02", limit=5)
            by_words = await search_facts(session, query="3rd round 2 June", limit=5)
        assert doc.body == "Third round ends early 2 June 2025 2025 06 02"
        assert stored is not None and (stored.event_time, stored.lead) == (None, False)
        assert [view.id for _, view in found.items] == [fact_id]
        assert [view.id for _, view in by_words.items] == [fact_id]
    finally:
        await engine.dispose()
