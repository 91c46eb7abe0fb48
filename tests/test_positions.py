"""/positions on the 2025 test set: the overview fits a phone screen, either order, history."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from core.text import visible_length
from kinds.position import Position
from tests.conftest import Harness, checked_harness, make_settings
from tests.test_dataset import import_into


@pytest.fixture
async def talks(database_url: str) -> AsyncIterator[Harness]:
    """The bot on a store holding tests/data/talks-2025.json (SQLite and PostgreSQL)."""
    report = await import_into(database_url)
    assert report.ok, report.errors
    settings = make_settings(database_url, seed_on_empty=False)
    async for harness in checked_harness(settings):
        yield harness


def button_labels(message: object) -> list[str]:
    return [label for row in message.buttons for label, _ in row]  # type: ignore[attr-defined]


async def test_overview_fits_one_phone_screen_with_a_button_per_issue(talks: Harness) -> None:
    reply = await talks.chat().ask("/positions")
    lines = reply.plain.splitlines()
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
