"""Where sources disagree: alternative values with their sources, ranges, imprecise dates.

The 2025 test set (tests/data/talks-2025.json) is loaded with its disagreements
(tests/data/disagreements.json) as structured alternatives, through the real import; readers and
editors use the real Application against the strict fake Bot API, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from core.when import format_when, iso_when, parse_when, typed_when, when_from_iso
from fake_telegram import SentMessage
from kinds.dataset import dump_dataset
from kinds.digest import changes_between
from kinds.document import list_documents
from kinds.exchange_tables import Exchange, ExchangeCount
from kinds.exchange_totals import exchange_totals
from kinds.export import export_dataset
from kinds.extras import alternatives_lines
from kinds.round import SPEC as ROUNDS
from kinds.round import TalkRound
from kinds.transfer import import_bytes
from kinds.update import NewsUpdate
from render.briefing import briefing_messages
from store.db import create_engine, make_session_factory, upgrade_schema
from store.models import AuditEntry, FactAlternative, Source
from tests.conftest import Chat, Harness, checked_harness, make_settings, start_harness
from tests.test_commands import turn_pages

EDITOR = 42
KYIV = ZoneInfo("Europe/Kyiv")
DATA_DIR = Path(__file__).parent / "data"
DATA: dict[str, Any] = json.loads((DATA_DIR / "talks-2025.json").read_text(encoding="utf-8"))
DISAGREEMENTS: list[dict[str, Any]] = json.loads(
    (DATA_DIR / "disagreements.json").read_text(encoding="utf-8")
)["disagreements"]
JUNE_ROUND = "Duration: under an hour (Reuters) · a little over an hour (TASS)"


def with_disagreements(data: dict[str, Any]) -> dict[str, Any]:
    """The test set with every disagreement as alternatives of its fact, each with its source."""
    data = copy.deepcopy(data)
    for entry in DISAGREEMENTS:
        (item,) = [f for f in data[entry["list"]] if f["key"] == entry["key"]]
        item.setdefault("alternatives", []).extend(
            {
                "field": entry["field"],
                "value": v["value"] + (f" — {v['said_by']}" if v.get("said_by") else ""),
                "source": v["source"],
            }
            for v in entry["values"]
        )
    return data


IMPRECISE = {
    "updates": [
        {
            "key": "test-month-update",
            "date": "2025-05-01",
            "date_precision": "month",
            "headline": "Talks about talks go on all month",
            "sources": [{"name": "Example Wire", "url": "https://example.org/may"}],
        },
        {
            "key": "test-range-update",
            "date": "2025-05-23",
            "date_precision": "range",
            "date_until": "2025-05-25",
            "headline": "Prisoners come home over three days",
            "sources": [{"name": "Example Wire", "url": "https://example.org/swap"}],
        },
        {
            "key": "test-approx-update",
            "date": "2025-11-20",
            "date_precision": "range",
            "date_until": "2025-11-21",
            "date_approx": True,
            "headline": "A 28-point plan reaches Kyiv",
            "sources": [{"name": "Example Wire", "url": "https://example.org/plan"}],
        },
    ],
    "exchanges": [
        {
            "key": "test-ranged-exchange",
            "date": "2025-12-20",
            "returned": {"ukraine": {"low": 900, "best": 1000, "high": 1100}, "russia": 1000},
            "categories": ["prisoners of war"],
            "sources": [{"name": "Example Wire", "url": "https://example.org/range"}],
        }
    ],
}


async def load(database_url: str, *files: dict[str, Any]) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        async with make_session_factory(engine)() as session:
            for data in files:
                report = await import_bytes(session, json.dumps(data))
                assert report.ok, report.errors
    finally:
        await engine.dispose()


@pytest.fixture
async def talks(database_url: str) -> AsyncIterator[Harness]:
    """The bot on the 2025 test set with its disagreements and a few imprecise facts."""
    await load(database_url, with_disagreements(DATA), IMPRECISE)
    settings = make_settings(database_url, seed_on_empty=False)
    async for harness in checked_harness(settings):
        yield harness


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    """The seeded bot (the 2 June round is R1), with user 42 as the only editor."""
    async for harness in start_harness(make_settings(database_url)):
        yield harness
        assert harness.errors == [], harness.errors


def editor(h: Harness) -> Chat:
    return h.chat(EDITOR, user_id=EDITOR)


async def save(chat: Chat, preview: SentMessage) -> str:
    await chat.press(preview, "Save")
    return chat.bot.api.callback_answers[-1].text or ""


async def pages(chat: Chat, command: str, forward: str = "Older") -> str:
    """Every page of a list command, following its `forward` button."""
    return "\n\n".join(p.plain for p in await turn_pages(chat, await chat.ask(command), forward))


async def alternatives_of(h: Harness, kind: str, fact_id: int) -> list[tuple[str, str, str]]:
    async with h.sessions() as session:
        rows = await session.exec(
            select(FactAlternative.field, FactAlternative.value, Source.name)
            .join(Source, col(Source.id) == col(FactAlternative.source_id))
            .where(FactAlternative.fact_kind == kind, FactAlternative.fact_id == fact_id)
            .order_by(col(FactAlternative.id))
        )
        return [(field, value, name) for field, value, name in rows]


def block_of(text: str, start: str) -> str:
    """The list block that begins with `start`."""
    at = text.index(start)
    end = text.find("\n\n", at)
    return text[at : end if end >= 0 else None]


# ------------------------------------------------------------------------------ readers


async def test_the_june_round_shows_both_durations_with_their_sources(talks: Harness) -> None:
    async with talks.sessions() as session:
        june = (
            await session.exec(select(TalkRound).where(TalkRound.key == "istanbul-2025-06-02"))
        ).one()
    assert june.id is not None and june.duration == "under an hour"
    assert await alternatives_of(talks, "round", june.id) == [
        ("duration", "under an hour", "Reuters"),
        ("duration", "a little over an hour", "TASS"),
    ]
    text = await pages(talks.chat(), "/rounds")
    block = block_of(text, "🤝 Second round of Russia–Ukraine peace talks in Istanbul")
    assert JUNE_ROUND in block.splitlines()
    assert "⚖️ sources differ (duration)" in block.splitlines()
    may = block_of(text, "🤝 First round of direct Russia–Ukraine talks in Istanbul")
    assert (
        "Duration: about two hours (Xinhua (via The Independent, Uganda)) · "
        "under two hours (Hindustan Times (AP))" in may
    )
    # A round on which sources agree says nothing of the kind.
    july = block_of(text, "🤝 Third round of Russia–Ukraine talks in Istanbul")
    assert "⚖️" not in july and "Duration: about 40 minutes" in july.splitlines()


async def test_free_labels_and_same_source_versions_show_as_lines(talks: Harness) -> None:
    chat = talks.chat()
    documents = await pages(chat, "/documents")
    assert (
        "Number of points: 19 points (Newsmax) · 22 points (News.mail.ru) · 20 points (EMPR)"
        in documents
    )
    assert "⚖️ sources differ (number of points)" in documents
    assert "Cut to Ukraine's army: about half (Rolling Stone Australia) · " in documents
    exchanges = await pages(chat, "/exchanges")
    swap = block_of(exchanges, "✅ Completed · Fri 23 May – Sun 25 May 2025")
    assert (
        "Status on 23 May: completed — Trump, on Truth Social (Arab News) · "
        "still under way — officials of both sides (Arab News)" in swap
    )
    # Another source's value is found by /search too.
    found = (await chat.ask("/search little over an hour")).plain
    assert "🤝 Round of talks\nSecond round of Russia–Ukraine peace talks in Istanbul" in found


async def test_the_briefing_says_sources_differ_and_shows_every_version(talks: Harness) -> None:
    async with talks.sessions() as session:
        digest = await changes_between(
            session, since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), until=dt.datetime.now(dt.UTC)
        )
    assert digest.differ == 7  # four rounds, two documents, one exchange
    messages = briefing_messages(digest, tz=KYIV, today=dt.date(2025, 12, 20))
    plain = "\n".join(messages).replace("<b>", "").replace("</b>", "")
    assert (
        "⚖️ <i>Sources differ on 7 facts below: each version is shown with its source.</i>"
        in (messages[0])
    )
    assert (
        'Duration: under an hour (Reuters) · a little over an hour (<a href="https://tass.com'
        in (plain)
    )


async def test_imprecise_dates_show_as_read(talks: Harness) -> None:
    chat = talks.chat()
    latest = await pages(chat, "/latest 20")
    assert "📅 May 2025 — Talks about talks go on all month" in latest
    assert "📅 23–25 May 2025 — Prisoners come home over three days" in latest
    assert "📅 ~20–21 Nov 2025 — A 28-point plan reaches Kyiv" in latest
    assert "Thu 1 May 2025" not in latest, "a month is not its first day"
    async with talks.sessions() as session:
        row = (
            await session.exec(select(NewsUpdate).where(NewsUpdate.key == "test-range-update"))
        ).one()
        assert (row.date, row.date_precision, row.date_until) == (
            dt.date(2025, 5, 23),
            "range",
            dt.date(2025, 5, 25),
        )
        exported = json.loads(dump_dataset(await export_dataset(session)))
    items = {u["key"]: u for u in exported["updates"]}
    assert items["test-month-update"]["date_precision"] == "month"
    assert items["test-approx-update"]["date_until"] == "2025-11-21"
    assert items["test-approx-update"]["date_approx"] is True
    assert "date_precision" not in items["tass-june-round-over-an-hour-2025-07-15"]
    rounds = {r["key"]: r for r in exported["rounds"]}
    assert rounds["istanbul-2025-06-02"]["alternatives"] == [
        {"field": "duration", "value": "under an hour", "source": "reuters-2025-06-02"},
        {"field": "duration", "value": "a little over an hour", "source": "tass-2025-07-15"},
    ]


async def test_an_exchange_with_a_range(talks: Harness) -> None:
    text = await pages(talks.chat(), "/exchanges")
    block = block_of(text, "✅ Completed · Sat 20 Dec 2025")
    assert (
        "Returned to Ukraine: about 1,000 people (900–1,100) · to Russia: 1,000 people"
        in block.splitlines()
    )
    async with talks.sessions() as session:
        swap = (
            await session.exec(select(Exchange).where(Exchange.key == "test-ranged-exchange"))
        ).one()
        counts = (
            await session.exec(
                select(
                    ExchangeCount.returned, ExchangeCount.returned_low, ExchangeCount.returned_high
                )
                .where(ExchangeCount.exchange_id == swap.id)
                .order_by(col(ExchangeCount.id))
            )
        ).all()
        exported = json.loads(dump_dataset(await export_dataset(session)))
    assert [tuple(c) for c in counts] == [(1000, 900, 1100), (1000, None, None)]
    (item,) = [x for x in exported["exchanges"] if x["key"] == "test-ranged-exchange"]
    assert item["returned"] == {"ukraine": {"low": 900, "best": 1000, "high": 1100}, "russia": 1000}


async def test_import_refuses_bad_ranges_and_precision(talks: Harness) -> None:
    SRC = ["reuters-2025-06-02"]
    bad: dict[str, Any] = {
        "updates": [
            {
                "key": "a",
                "date": "2025-05-23",
                "date_precision": "range",
                "headline": "H",
                "sources": SRC,
            },
            {
                "key": "b",
                "date": "2025-05-23",
                "date_until": "2025-05-25",
                "headline": "H",
                "sources": SRC,
            },
            {
                "key": "c",
                "date": "2025-05-23",
                "headline": "H",
                "sources": SRC,
                "alternatives": [{"field": "headline", "value": "G", "source": "no-such-source"}],
            },
        ],
        "exchanges": [
            {
                "key": "d",
                "date": "2025-05-23",
                "returned": {"ukraine": {"low": 9, "high": 5}},
                "sources": SRC,
            }
        ],
    }
    async with talks.sessions() as session:
        refused = await import_bytes(session, json.dumps(bad))
    assert refused.errors == [
        "updates[0] (a): item: Value error, date_precision “range” needs date_until (the range's "
        "last day)",
        "updates[1] (b): item: Value error, date_until is only for date_precision “range”",
        "exchanges[0] (d): returned.ukraine: Value error, a range needs low < high, and low <= "
        "best <= high",
        "updates[2] (c): alternatives: sources: unknown source 'no-such-source' "
        "(declare it under sources)",
    ]
    del bad["updates"][:2], bad["exchanges"]
    async with talks.sessions() as session:
        refused = await import_bytes(session, json.dumps(bad))
    assert refused.errors == [
        "updates[0] (c): alternatives: sources: unknown source 'no-such-source' "
        "(declare it under sources)"
    ]
    async with talks.sessions() as session:
        assert (await session.exec(select(NewsUpdate).where(NewsUpdate.key == "c"))).first() is None


# ------------------------------------------------------------------------------ editors


ANADOLU = "source: Anadolu, https://www.aa.com.tr/en/russia-ukraine-war/talks, 2 Jun 2025"


async def test_an_editor_adds_another_sources_value_with_edit(bot: Harness) -> None:
    chat = editor(bot)
    preview = await chat.ask(f"/edit R1\nduration also: just over an hour | {ANADOLU}")
    assert "Preview: correction of R1" in preview.plain
    assert "Duration: under an hour (Reuters) · just over an hour (Anadolu)" in preview.plain, (
        preview.plain
    )
    assert await save(chat, preview) == "Corrected R1."
    assert await alternatives_of(bot, "round", 1) == [("duration", "just over an hour", "Anadolu")]
    async with bot.sessions() as session:
        source = (await session.exec(select(Source).where(Source.name == "Anadolu"))).one()
        entry = (
            await session.exec(
                select(AuditEntry)
                .where(AuditEntry.fact_kind == "round", AuditEntry.fact_id == 1)
                .order_by(col(AuditEntry.id).desc())
            )
        ).first()
    assert source.published == dt.date(2025, 6, 2)
    assert source.url == "https://www.aa.com.tr/en/russia-ukraine-war/talks"
    assert entry is not None and entry.action == "edit" and entry.after is not None
    assert json.loads(entry.after)["alternatives"] == [
        {
            "field": "duration",
            "value": "just over an hour",
            "source": {
                "name": "Anadolu",
                "url": "https://www.aa.com.tr/en/russia-ukraine-war/talks",
                "published": "2025-06-02",
            },
        }
    ]
    rounds = (await chat.ask("/rounds")).plain
    assert "Duration: under an hour (Reuters) · just over an hour (Anadolu)" in rounds
    assert "⚖️ sources differ (duration)" in rounds

    # /edit shows the alternatives as lines an editor can type; a second one is added to them.
    reads = (await chat.ask("/edit R1")).plain
    assert f"duration also: just over an hour | {ANADOLU}" in reads
    preview = await chat.ask("/edit R1\nduration also: about an hour | source: TASS")
    assert await save(chat, preview) == "Corrected R1."
    assert [v for _, v, _ in await alternatives_of(bot, "round", 1)] == [
        "just over an hour",
        "about an hour",
    ]
    # "none" drops every other version of the field.
    preview = await chat.ask("/edit R1\nduration also: none")
    assert "⚖️" not in preview.plain.split("\n\n", 1)[1]
    assert await save(chat, preview) == "Corrected R1."
    assert await alternatives_of(bot, "round", 1) == []


async def test_an_editor_adds_a_fact_with_alternatives_and_an_imprecise_date(bot: Harness) -> None:
    chat = editor(bot)
    preview = await chat.ask(
        "/add Delegations trade lists of prisoners\n"
        "date: 23–25 May 2025\n"
        "source: Reuters https://www.reuters.com/x\n"
        "summary: Lists of 1,000 names each.\n"
        f"summary also: Lists of 500 names each. | {ANADOLU}\n"
        "mood also: tense | source: TASS"
    )
    text = preview.plain
    assert "📅 23–25 May 2025 — Delegations trade lists of prisoners" in text
    assert "⚖️ “mood” is not a field; it is shown as a line of its own." in text
    assert "⚖️ sources differ (summary, mood)" in text
    assert (
        "Summary: Lists of 1,000 names each. (Reuters) · Lists of 500 names each. (Anadolu)" in text
    )
    assert "Mood: tense (TASS)" in text
    assert (await save(chat, preview)).startswith("Saved as U")
    async with bot.sessions() as session:
        row = (
            await session.exec(
                select(NewsUpdate).where(
                    NewsUpdate.headline == "Delegations trade lists of prisoners"
                )
            )
        ).one()
    assert (row.date, row.date_precision, row.date_until, row.date_approx) == (
        dt.date(2025, 5, 23),
        "range",
        dt.date(2025, 5, 25),
        False,
    )
    assert row.id is not None
    assert await alternatives_of(bot, "update", row.id) == [
        ("summary", "Lists of 500 names each.", "Anadolu"),
        ("mood", "tense", "TASS"),
    ]
    found = (await chat.ask("/search Delegations trade lists")).plain
    assert "📅 23–25 May 2025 — Delegations trade lists of prisoners" in found
    assert "Summary: Lists of 1,000 names each. (Reuters) · Lists of 500 names each." in found

    # A month stays a month through a correction that does not touch the date.
    preview = await chat.ask(f"/edit U{row.id}\ndate: May 2025")
    assert await save(chat, preview) == f"Corrected U{row.id}."
    preview = await chat.ask(f"/edit U{row.id}\nheadline: Lists of prisoners traded")
    assert "📅 May 2025 — Lists of prisoners traded" in preview.plain
    assert await save(chat, preview) == f"Corrected U{row.id}."
    async with bot.sessions() as session:
        again = await session.get(NewsUpdate, row.id)
    assert again is not None and (again.date, again.date_precision) == (
        dt.date(2025, 5, 1),
        "month",
    )


async def test_an_editor_records_an_exchange_with_a_range(bot: Harness) -> None:
    chat = editor(bot)
    preview = await chat.ask(
        "/exchange\ndate: 20 December 2025\nreturned: Ukraine 1000 (900-1100), Russia 900-1100\n"
        "source: Reuters https://www.reuters.com/x"
    )
    assert (
        "Returned to Ukraine: about 1,000 people (900–1,100) · to Russia: 900–1,100 people"
        in preview.plain
    )
    assert (await save(chat, preview)).startswith("Saved as X")
    async with bot.sessions() as session:
        counts = (
            await session.exec(
                select(
                    ExchangeCount.returned, ExchangeCount.returned_low, ExchangeCount.returned_high
                )
                .join(Exchange, col(Exchange.id) == col(ExchangeCount.exchange_id))
                .where(Exchange.date == dt.date(2025, 12, 20))
                .order_by(col(ExchangeCount.id))
            )
        ).all()
    assert [tuple(c) for c in counts] == [(1000, 900, 1100), (None, 900, 1100)]
    async with bot.sessions() as session:
        (year,) = await exchange_totals(session)
    # Totals keep the range as the exchange gave it: bounds, and a best figure only if given.
    assert year.year == 2025 and year.exchanges == 1
    assert {c.party: (c.returned, c.low, c.high) for c in year.per_party} == {
        "Russia": (None, 900, 1100),
        "Ukraine": (1000, 900, 1100),
    }
    totals = (await bot.chat().ask("/exchanges")).plain.splitlines()[1]
    assert totals == (
        "2025 totals (1 completed exchange): Russia: 900–1,100 people · "
        "Ukraine: about 1,000 people (900–1,100)"
    )
    reply = await chat.ask("/exchange\ndate: 21 December 2025\nreturned: Ukraine 1100-900")
    assert "“Ukraine 1100-900” needs low < high, e.g. Ukraine 1000 (900-1100)." in reply.plain


async def test_bad_alternative_lines_are_refused_and_store_nothing(bot: Harness) -> None:
    chat = editor(bot)
    for line in (
        "duration also: just over an hour",
        "duration also: just over an hour | Anadolu",
        "duration also: just over an hour | source: https://not a link",
    ):
        reply = await chat.ask(f"/edit R1\n{line}")
        assert reply.plain.startswith("Nothing was stored. Please fix:"), reply.plain
        assert "FIELD also: VALUE | source: NAME, LINK, DATE" in reply.plain or (
            "is not a web link" in reply.plain
        )
    assert await alternatives_of(bot, "round", 1) == []
    async with bot.sessions() as session:
        assert (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "edit"))
        ).all() == []


async def test_a_guided_answer_may_carry_another_sources_value(bot: Harness) -> None:
    chat = editor(bot)
    await chat.ask("/round")
    for answer in ("3 June 2025", "Istanbul", "/skip", "/skip", "/skip"):
        await chat.ask(answer)
    noted = await chat.ask("duration also: just over an hour | source: Anadolu")
    assert noted.plain == "⚖️ Noted.\n\nHow long? e.g. about an hour (/skip)"
    await chat.ask("about an hour")
    await chat.ask("/skip")  # outcome
    preview = await chat.ask("Reuters https://www.reuters.com/x")
    assert "Preview: new round of talks" in preview.plain
    assert "Duration: about an hour (Reuters) · just over an hour (Anadolu)" in preview.plain
    assert (await save(chat, preview)).startswith("Saved as R")
    async with bot.sessions() as session:
        row = (
            await session.exec(select(TalkRound).where(TalkRound.date == dt.date(2025, 6, 3)))
        ).one()
    assert row.id is not None and row.duration == "about an hour"
    assert await alternatives_of(bot, "round", row.id) == [
        ("duration", "just over an hour", "Anadolu")
    ]


async def test_alternatives_lines_give_every_version_for_a_full_view(talks: Harness) -> None:
    """The lines /show puts under a fact: one per field, every version with its source."""
    async with talks.sessions() as session:
        (june_id,) = (
            await session.exec(select(TalkRound.id).where(TalkRound.key == "istanbul-2025-06-02"))
        ).all()
        assert june_id is not None
        (view,) = await ROUNDS.load(session, [june_id])
        docs = (await list_documents(session, limit=20)).items
    assert alternatives_lines(view) == [
        'Duration: under an hour (Reuters) · a little over an hour (<a href="'
        'https://tass.com/politics/1989745">TASS</a>)'
    ]
    (framework,) = [d for d in docs if d.title.startswith("Updated and refined peace framework")]
    assert [line.split(":")[0] for line in alternatives_lines(framework)] == ["Number of points"]
    plain = [d for d in docs if not d.extras.differ]
    assert plain and all(alternatives_lines(d) == [] for d in plain)


@pytest.mark.parametrize(
    ("typed", "shown", "stored"),
    [
        ("May 2025", "May 2025", ("2025-05-01", "month", None, False)),
        ("2025-05", "May 2025", ("2025-05-01", "month", None, False)),
        ("23–25 May 2025", "23–25 May 2025", ("2025-05-23", "range", "2025-05-25", False)),
        ("23-25 May 2025", "23–25 May 2025", ("2025-05-23", "range", "2025-05-25", False)),
        ("~20–21 Nov 2025", "~20–21 Nov 2025", ("2025-11-20", "range", "2025-11-21", True)),
        (
            "30 May – 2 June 2025",
            "30 May – 2 Jun 2025",
            ("2025-05-30", "range", "2025-06-02", False),
        ),
        ("about 2 June 2025", "~Mon 2 Jun 2025", ("2025-06-02", "day", None, True)),
        ("mid-March 2025", "~11–20 Mar 2025", ("2025-03-11", "range", "2025-03-20", True)),
        ("late February 2025", "~21–28 Feb 2025", ("2025-02-21", "range", "2025-02-28", True)),
        ("2 June 2025", "Mon 2 Jun 2025", ("2025-06-02", "day", None, False)),
    ],
)
def test_dates_are_read_and_shown_as_precise_as_typed(
    typed: str, shown: str, stored: tuple[str, str, str | None, bool]
) -> None:
    when = parse_when(typed, tz=KYIV, now=dt.datetime(2025, 12, 1, tzinfo=KYIV))
    assert when is not None
    assert format_when(when) == shown
    until = when.until.isoformat() if when.until else None
    assert (when.start.isoformat(), when.precision, until, when.approx) == stored
    assert parse_when(typed_when(when), tz=KYIV) == when, "an /edit form reads it back the same"
    assert when_from_iso(iso_when(when)) == when, "another source's date is stored as ISO"


@pytest.mark.parametrize("typed", ["25–23 May 2025", "31–32 May 2025", "Smarch 2025", ""])
def test_impossible_dates_are_not_read(typed: str) -> None:
    assert parse_when(typed, tz=KYIV) is None


async def test_show_gives_every_version_and_the_date_as_read(talks: Harness) -> None:
    async with talks.sessions() as session:
        june = (
            await session.exec(select(TalkRound).where(TalkRound.key == "istanbul-2025-06-02"))
        ).one()
        month = (
            await session.exec(select(NewsUpdate).where(NewsUpdate.key == "test-month-update"))
        ).one()
    shown = (await talks.chat().ask(f"/show R{june.id}")).plain
    assert "⚖️ Other sources report" in shown
    assert "• Duration: under an hour (Reuters)" in shown
    assert "• Duration: a little over an hour (TASS)" in shown
    dated = (await talks.chat().ask(f"/show U{month.id}")).plain
    assert "Date: May 2025" in dated.splitlines()
    assert "Date precision" not in dated


async def test_a_ukrainian_reader_sees_the_field_names_in_ukrainian(talks: Harness) -> None:
    text = await pages(talks.chat(language_code="uk"), "/rounds", forward="▶")
    assert "Тривалість: under an hour (Reuters) · a little over an hour (TASS)" in text
    assert "Duration:" not in text


async def test_another_source_s_date_is_shown_in_the_reader_s_format_and_language(
    bot: Harness,
) -> None:
    chat = editor(bot)
    preview = await chat.ask(
        "/add Talks to resume in Istanbul\ndate: 2 June 2025\nsource: Reuters\n"
        "date also: 1 June 2025 | source: TASS\ndate also: 23-25 May 2025 | source: Anadolu"
    )
    versions_en = (
        "Date: Mon 2 Jun 2025 (Reuters) · Sun 1 Jun 2025 (TASS) · 23–25 May 2025 (Anadolu)"
    )
    assert versions_en in preview.plain
    ref = (await save(chat, preview)).removeprefix("Saved as ").rstrip(".")
    # Stored as ISO, read back in each reader's language.
    assert await alternatives_of(bot, "update", int(ref[1:])) == [
        ("date", "2025-06-01", "TASS"),
        ("date", "2025-05-23/2025-05-25", "Anadolu"),
    ]
    english, ukrainian = bot.chat(5001, language_code="en"), bot.chat(5002, language_code="uk")
    # /search finds it by the other sources' dates in words ("May") too.
    found = (await english.ask("/search resume May")).plain
    assert versions_en in block_of(found, "📅 Mon 2 Jun 2025 — Talks to resume in Istanbul")
    found_uk = (await ukrainian.ask("/search resume Istanbul")).plain
    assert (
        "Дата: пн, 2 черв. 2025 (Reuters) · нд, 1 черв. 2025 (TASS) · 23–25 трав. 2025 (Anadolu)"
        in block_of(found_uk, "📅 пн, 2 черв. 2025 — Talks to resume in Istanbul")
    )
    shown = (await english.ask(f"/show {ref}")).plain
    assert "• Date: Sun 1 Jun 2025 (TASS)\n• Date: 23–25 May 2025 (Anadolu)" in shown
    shown_uk = (await ukrainian.ask(f"/show {ref}")).plain
    assert "• Дата: нд, 1 черв. 2025 (TASS)\n• Дата: 23–25 трав. 2025 (Anadolu)" in shown_uk
    # Editors get them back as they type dates.
    reads = (await chat.ask(f"/edit {ref}")).plain
    assert "date also: 2025-06-01 | source: TASS\ndate also: 23–25 May 2025 | source: Anadolu" in (
        reads
    )

    # A date stored as typed, before dates were kept as ISO, is shown as it was typed.
    async with bot.sessions() as session:
        (old,) = (
            await session.exec(select(FactAlternative).where(FactAlternative.value == "2025-06-01"))
        ).all()
        old.value = "1 June 2025"
        session.add(old)
        await session.commit()
    found = (await english.ask("/search resume Istanbul")).plain
    assert "Date: Mon 2 Jun 2025 (Reuters) · 1 June 2025 (TASS) · 23–25 May 2025 (Anadolu)" in (
        block_of(found, "📅 Mon 2 Jun 2025 — Talks to resume in Istanbul")
    )
