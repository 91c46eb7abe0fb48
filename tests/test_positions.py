"""/positions on the 2025 test set: the overview fits a phone screen, either order, history."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from core.text import visible_length
from kinds.position_chain import Position
from kinds.transfer import import_bytes
from store.models import Issue
from tests.conftest import Harness, checked_harness, make_settings
from tests.test_dataset import import_into

EDITOR = 42


@pytest.fixture
async def talks(database_url: str) -> AsyncIterator[Harness]:
    """The bot on a store holding tests/data/talks-2025.json (SQLite and PostgreSQL)."""
    report = await import_into(database_url)
    assert report.ok, report.errors
    settings = make_settings(database_url, seed_on_empty=False, admin_ids=frozenset({EDITOR}))
    async for harness in checked_harness(settings):
        yield harness


def button_labels(message: object) -> list[str]:
    return [label for row in message.buttons for label, _ in row]  # type: ignore[attr-defined]


async def test_overview_fits_one_phone_screen_with_a_button_per_issue(talks: Harness) -> None:
    reply = await talks.chat().ask("/positions")
    lines = reply.plain.splitlines()
    assert reply.text is not None
    assert visible_length(reply.text) <= 4096 and len(reply.text) <= 4096
    assert len(lines) <= 30, len(lines)
    assert lines[0] == "🧭 Where the parties stand (tap an issue for the full stances)"
    # One line per issue, each party's label; several current stances of one party joined.
    assert (
        "NATO and neutrality — Russia: Ukraine must drop NATO aim · "
        "Ukraine: still wants to join · United States: Ukraine stays out"
    ) in lines
    assert (
        "Security guarantees — France: reassurance force · Germany: praises US guarantees · "
        "Ukraine: Article 5-like guarantees · United Kingdom: force plans ready · "
        "United States: Article 5-like, no troops"
    ) in lines
    assert "Sanctions — European Union: 18th package adopted · Russia: lift all sanctions" in lines
    # Russia holds two current stances on the ceasefire (neither supersedes the other).
    assert (
        "Ceasefire — Russia: truce if Ukraine withdraws / 2–3-day local truces · "
        "Turkey: talks aim at a ceasefire · Ukraine: full ceasefire now · "
        "United States: 30-day ceasefire now"
    ) in lines
    issue_lines = [line for line in lines if " — " in line]
    assert len(issue_lines) == 14  # every issue with a stance; one issue has none yet
    labels = button_labels(reply)
    assert len(labels) == 14 and "NATO and neutrality" in labels and "Territory" in labels
    # The issue's button opens its full stances, with dates and sources.
    (opened,) = await talks.chat().press(reply, "NATO and neutrality")
    assert opened.edited and opened.plain.startswith("🧭 Current positions on NATO and neutrality")
    assert "• Ukraine: Still wants to join NATO but says the US and several members" in opened.plain
    assert "as of Tue 9 Dec 2025" in opened.plain


async def test_overview_cuts_a_stance_without_a_label(talks: Harness) -> None:
    async with talks.sessions() as session:
        row = (
            await session.exec(select(Position).where(Position.key == "ukraine-nato-2025-12-09"))
        ).one()
        row.label = None
        session.add(row)
        await session.commit()
    lines = (await talks.chat().ask("/positions")).plain.splitlines()
    (nato,) = [line for line in lines if line.startswith("NATO and neutrality — ")]
    assert "Ukraine: Still wants to join NATO but says the…" in nato


async def test_party_and_issue_in_either_order(talks: Harness) -> None:
    chat = talks.chat()
    for command in ("/positions ukraine nato", "/positions nato ukraine", "/positions NATO Kyiv"):
        reply = (await chat.ask(command)).plain
        assert reply.startswith("🧭 Where Ukraine stands on NATO and neutrality"), (command, reply)
        assert "• Ukraine: Still wants to join NATO" in reply
        assert "• Russia:" not in reply and "• United States:" not in reply
    usa_elections = (await chat.ask("/positions elections united states")).plain
    assert "Trump says it is time for Ukraine to hold an election" in usa_elections
    assert "Zelensky" not in usa_elections
    refused = (await chat.ask("/positions ukraine narnia")).plain
    assert refused.startswith("I don't know “ukraine narnia” as a party or an issue.")


async def test_history_has_one_header_per_party_in_date_order(talks: Harness) -> None:
    chat = talks.chat()
    first = await chat.ask("/positions history nato")
    pages = [first.plain]
    message = first
    while any("▶" in label for label in button_labels(message)):
        (message,) = await chat.press(message, "▶")
        pages.append(message.plain)
    text = "\n".join(pages)
    assert text.startswith(
        "🕰 How positions on NATO and neutrality changed (by party, oldest first)"
    )
    assert text.count("— RUSSIA —") == 1 and text.count("— UKRAINE —") == 1
    assert text.count("— UNITED STATES —") == 1
    russia = text[text.index("— RUSSIA —") : text.index("— UKRAINE —")]
    dates = ["Tue 18 Feb 2025", "Mon 2 Jun 2025", "Fri 15 Aug 2025"]
    positions = [russia.index(f"as of {d}") for d in dates]
    assert positions == sorted(positions), russia
    assert "as of Fri 15 Aug 2025 (current)" in russia
    assert "as of Tue 18 Feb 2025 (superseded)" in russia
    ours = (await chat.ask("/positions history nato russia")).plain
    assert "— RUSSIA —" in ours and "UKRAINE" not in ours


async def _position(h: Harness, key: str) -> Position:
    async with h.sessions() as session:
        return (await session.exec(select(Position).where(Position.key == key))).one()


async def test_keeps_both_through_the_preview(talks: Harness) -> None:
    chat = talks.chat(EDITOR)
    older = await _position(talks, "russia-territory-2025-06-02")
    asked = await chat.ask(
        "/position\nparty: Russia\nissue: territory\nstance: Wants a land swap in Zaporizhzhia"
        "\nlabel: land swap\ndate: 3 June 2025\nsource: TASS"
    )
    assert f"P{older.id}: Its memorandum demands international recognition" in asked.plain
    assert button_labels(asked)[:2] == [f"Supersedes P{older.id}", "Keeps both"]
    (kept,) = await chat.press(asked, "Keeps both")
    assert "↪️ Supersedes nothing: the current stances stay current." in kept.plain
    (saved,) = await chat.press(kept, "Save")
    assert saved.plain.startswith("✅ Saved as P")
    assert (await _position(talks, "russia-territory-2025-06-02")).superseded_by_id is None
    both = (await talks.chat().ask("/positions russia territory")).plain
    assert "• Russia: Its memorandum demands international recognition" in both
    assert "• Russia: Wants a land swap in Zaporizhzhia" in both
    overview = (await talks.chat().ask("/positions")).plain.splitlines()
    (line,) = [x for x in overview if x.startswith("Territory — ")]
    assert "Russia: recognise five regions as Russian / land swap" in line


async def test_import_supersedes_by_key_and_refuses_what_it_cannot(talks: Harness) -> None:
    older = await _position(talks, "ukraine-territory-2025-12-15")
    good = {
        "format": "peace-briefing/1",
        "positions": [
            {
                "key": "ukraine-territory-2025-12-20",
                "party": "ukraine",
                "issue": "territory",
                "stance": "Ready to discuss a demilitarised zone",
                "as_of": "2025-12-20",
                "supersedes": ["ukraine-territory-2025-12-15"],
                "sources": [{"name": "Test"}],
            }
        ],
    }
    async with talks.sessions() as session:
        report = await import_bytes(session, json.dumps(good))
    assert report.ok, report.errors
    newer = await _position(talks, "ukraine-territory-2025-12-20")
    assert (await _position(talks, older.key or "")).superseded_by_id == newer.id

    bad = json.loads(json.dumps(good))
    bad["positions"][0]["key"] = "ukraine-territory-2025-12-21"
    bad["positions"][0]["supersedes"] = ["no-such-stance", "russia-nato-2025-08-15", older.key]
    async with talks.sessions() as session:
        report = await import_bytes(session, json.dumps(bad))
    assert report.errors == [
        "position ukraine-territory-2025-12-21: supersedes: no stance 'no-such-stance' "
        "to supersede",
        "position ukraine-territory-2025-12-21: supersedes: 'russia-nato-2025-08-15' is "
        "another party's stance or on another issue",
        f"position ukraine-territory-2025-12-21: supersedes: '{older.key}' is already "
        f"superseded by P{newer.id}",
    ]


async def test_the_exchanges_chart_draws_bodies_apart_from_living_people(talks: Harness) -> None:
    from kinds.charts import exchange_chart  # the chart's data, as /exchanges chart draws it

    async with talks.sessions() as session:
        data = await exchange_chart(session, year=2025)
    ukraine = next(s for s in data.sides if s.party == "Ukraine")
    assert data.bodies_recorded
    # The same split as the yearly totals under /exchanges: bodies never count as people.
    assert (ukraine.living_total, ukraine.bodies_total) == (2114, 5857)
    caption = (await talks.chat().ask("/exchanges chart 2025")).plain
    assert "2,114 people to Ukraine" in caption and "5,857 to Ukraine" in caption


async def test_every_fact_is_reachable_from_the_command_of_its_kind(talks: Harness) -> None:
    """Without /search: each kind's own list, paged to its end, shows every live fact's id."""
    import re

    from kinds.registry import SPECS
    from tests.test_commands import turn_pages

    lists = {"U": "/latest 20", "P": "/positions all", "X": "/exchanges", "R": "/rounds"}
    lists |= {spec.letter: f"/{spec.list_command}" for spec in SPECS if spec.list_command}
    chat = talks.chat()
    async with talks.sessions() as session:
        stored = {
            spec.letter: {
                f"{spec.letter}{row.id}"
                for row in (await session.exec(select(spec.table))).all()
                if row.retracted_at is None
            }
            for spec in SPECS
        }
        issues = [issue.key for issue in (await session.exec(select(Issue))).all()]
    assert sum(len(ids) for ids in stored.values()) >= 100, "the 2025 set is loaded"

    async def listed(command: str, letter: str) -> set[str]:
        pages = await turn_pages(chat, await chat.ask(command), "▶")
        return {ref for page in pages for ref in re.findall(rf"· ({letter}\d+)", page.plain)}

    for letter, command in lists.items():
        shown = await listed(command, letter)
        if letter == "P":  # stances no longer current are in the history of their issue
            for key in issues:
                shown |= await listed(f"/positions history {key}", "P")
        assert shown == stored[letter], (command, sorted(stored[letter] - shown))
