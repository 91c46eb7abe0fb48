"""The curated 2025 test set (tests/data/talks-2025.json): it imports, and readers reach its facts.

The set is loaded through the real import into a fresh store; the commands run through the real
Application against the strict fake Bot API. tests/data/README.md describes the set.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from fake_telegram import SentMessage
from kinds.transfer import ImportReport, import_bytes
from store.db import create_engine, make_session_factory, upgrade_schema
from store.transfer import SEED_FILE
from tests.conftest import Chat, Harness, checked_harness, make_settings
from tests.test_commands import turn_pages

DATA_DIR = Path(__file__).parent / "data"
DATASET_FILE = DATA_DIR / "talks-2025.json"
RAW = DATASET_FILE.read_bytes()
DATA: dict[str, Any] = json.loads(RAW)
DISAGREEMENTS: list[dict[str, Any]] = json.loads(
    (DATA_DIR / "disagreements.json").read_text(encoding="utf-8")
)["disagreements"]
SEED: dict[str, Any] = json.loads(SEED_FILE.read_text(encoding="utf-8"))
FACT_LISTS = ("rounds", "updates", "positions", "exchanges", "documents")
TEXT_FIELDS = ("title", "headline", "summary", "stance", "outcome", "note", "duration")
COUNTS = {
    "parties": 8,
    "issues": 15,
    "rounds": 13,
    "updates": 14,
    "positions": 48,
    "exchanges": 18,
    "documents": 7,
}


def fact(ref: str) -> dict[str, Any]:
    """The fact named `list/key` in the data set."""
    section, key = ref.split("/", 1)
    items: list[dict[str, Any]] = [f for f in DATA[section] if f["key"] == key]
    (item,) = items
    return item


def text_of(item: dict[str, Any]) -> str:
    return " ".join(str(item.get(name) or "") for name in TEXT_FIELDS)


async def import_into(database_url: str) -> ImportReport:
    """Migrate a database and import the set into it, before any bot runs on it."""
    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        async with make_session_factory(engine)() as session:
            return await import_bytes(session, RAW)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def loaded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file holding the set, imported once per module and copied for each test."""
    path = tmp_path_factory.mktemp("dataset") / "talks.db"
    report = asyncio.run(import_into(f"sqlite+aiosqlite:///{path}"))
    assert report.ok, report.errors
    return path


@pytest.fixture
async def bot(loaded_file: Path, tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot on a fresh copy of the loaded store."""
    path = tmp_path / "talks.db"
    await asyncio.to_thread(shutil.copyfile, loaded_file, path)
    settings = make_settings(f"sqlite+aiosqlite:///{path}", seed_on_empty=False)
    async for harness in checked_harness(settings):
        yield harness


async def all_pages(chat: Chat, command: str, forward: str) -> str:
    pages: list[SentMessage] = await turn_pages(chat, await chat.ask(command), forward)
    return "\n".join(page.plain for page in pages)


# ------------------------------------------------------------------------------ the file itself


def test_the_set_has_the_counts_the_issue_asks_for() -> None:
    assert {name: len(DATA[name]) for name in COUNTS} == COUNTS
    assert len(DATA["rounds"]) >= 10 and len(DATA["exchanges"]) >= 10
    assert len(DATA["positions"]) >= 40
    parties = {p["party"] for p in DATA["positions"]}
    assert {"russia", "ukraine", "united-states", "european-union", "turkey"} <= parties


def test_every_fact_cites_a_declared_source_with_a_publisher() -> None:
    sources = {s["key"]: s for s in DATA["sources"]}
    cited: set[str] = set()
    for section in FACT_LISTS:
        for item in DATA[section]:
            assert item["sources"], f"{section}/{item['key']} has no source"
            for key in item["sources"]:
                assert isinstance(key, str) and key in sources, (section, item["key"], key)
                cited.add(key)
    assert cited == set(sources), "every declared source is cited"
    for source in sources.values():
        assert source["name"] and source["title"], source["key"]
        assert source["url"] is None or source["url"].startswith(("https://", "http://"))


def test_facts_shared_with_the_seed_are_copied_unchanged() -> None:
    """On top of the seed these are skipped, so they must say exactly what the seed says."""
    for section in ("sources", "rounds", "exchanges", "documents"):
        seed_items = {item["key"]: item for item in SEED[section]}
        shared = [item for item in DATA[section] if item["key"] in seed_items]
        assert shared, section
        for item in shared:
            assert item == seed_items[item["key"]], item["key"]
    assert not {u["key"] for u in SEED["updates"]} & {u["key"] for u in DATA["updates"]}
    assert not {p["key"] for p in SEED["positions"]} & {p["key"] for p in DATA["positions"]}


def test_the_may_exchange_adds_up_from_its_three_days() -> None:
    swap = fact("exchanges/exchange-1000-for-1000-2025-05-23")
    assert (swap["date"], swap["end_date"]) == ("2025-05-23", "2025-05-25")
    assert swap["returned"] == {"ukraine": 1000, "russia": 1000}
    stages = {"23 May": 390, "24 May": 307, "25 May": 303}
    for day, number in stages.items():
        assert f"{day}: {number} each" in swap["note"]
    assert sum(stages.values()) == 1000


def test_returned_bodies_are_exchanges_of_their_own_category() -> None:
    bodies = [x for x in DATA["exchanges"] if "bodies" in x["categories"]]
    assert [x["key"] for x in bodies] == [
        "bodies-agreed-istanbul-2025-06-02",
        "bodies-2025-06-11",
        "bodies-2025-06-13",
        "bodies-2025-06-15",
        "bodies-2025-06-16",
        "bodies-2025-09-18",
    ]
    assert all(x["categories"] == ["bodies"] for x in bodies), "never mixed with living people"
    june = [x["returned"]["ukraine"] for x in bodies if x["date"].startswith("2025-06-1")]
    assert june == [1212, 1200, 1200, 1245]


@pytest.mark.parametrize("entry", DISAGREEMENTS, ids=lambda e: f"{e['key']}:{e['field']}")
def test_each_disagreement_is_written_in_the_facts_text(entry: dict[str, Any]) -> None:
    item = fact(f"{entry['list']}/{entry['key']}")
    written = fact(entry["text_in"])
    assert len(entry["values"]) >= 2
    for version in entry["values"]:
        assert version["value"] in text_of(written), version["value"]
        assert version["source"] in written["sources"] + item["sources"], version["source"]
    if entry["first"] is not None:
        assert item[entry["field"]] == entry["first"]


def test_the_june_round_duration_is_the_disagreement_the_issue_names() -> None:
    (entry,) = [d for d in DISAGREEMENTS if d["key"] == "istanbul-2025-06-02"]
    assert [v["value"] for v in entry["values"]] == ["under an hour", "a little over an hour"]
    assert fact("rounds/istanbul-2025-06-02")["duration"] == "under an hour"


# ------------------------------------------------------------------------------ the import


async def test_imports_in_full_into_an_empty_store(database_url: str) -> None:
    report = await import_into(database_url)
    assert report.ok, report.errors
    assert {k: v for k, v in report.created.items() if k in COUNTS} == COUNTS
    assert not any(report.skipped.values())
    again = await import_into(database_url)
    assert again.ok and not any(again.created.values()), again.created


async def test_imports_on_top_of_the_seed_skipping_the_shared_facts(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/seeded.db"
    engine = create_engine(url)
    try:
        await upgrade_schema(engine)
        async with make_session_factory(engine)() as session:
            assert (await import_bytes(session, SEED_FILE.read_bytes())).ok
    finally:
        await engine.dispose()
    report = await import_into(url)
    assert report.ok, report.errors
    assert {k: v for k, v in report.skipped.items() if v} == {
        "parties": 4,
        "issues": 12,
        "rounds": 1,
        "exchanges": 1,
        "documents": 2,
    }
    assert report.created["rounds"] == 12 and report.created["positions"] == 48


# ------------------------------------------------------------------------------ what readers see


async def test_rounds_list_every_round_with_its_details(bot: Harness) -> None:
    text = await all_pages(bot.chat(), "/rounds", "Older")
    titles = [line[2:] for line in text.splitlines() if line.startswith("🤝 ")]
    assert titles == [r["title"] for r in sorted(DATA["rounds"], key=lambda r: r["date"])][::-1]
    lines = text.splitlines()
    start = lines.index("🤝 Third round of Russia–Ukraine talks in Istanbul")
    assert lines[start + 1 : start + 5] == [
        "📅 Wed 23 Jul 2025 · 📍 Istanbul, Ciragan Palace",
        "Mediator: Turkey (Foreign Minister Hakan Fidan)",
        "Delegations: Ukraine — Rustem Umerov, Secretary of the National Security and Defence "
        "Council; Russia — Vladimir Medinsky, presidential aide",
        "Duration: about 40 minutes",
    ]
    assert "📅 Sun 23 Mar – Tue 25 Mar 2025 · 📍 Riyadh" in text
    assert "Duration: about two hours" in text
    assert "about two hours (Xinhua) or under two hours (AP" in text


async def test_exchanges_show_the_may_stages_and_the_bodies(bot: Harness) -> None:
    text = await all_pages(bot.chat(), "/exchanges", "Older")
    assert text.count("✅ Completed · ") == 14
    assert text.count("⏳ AGREED, NOT YET CARRIED OUT") == 4
    swap = text.index("✅ Completed · Fri 23 May – Sun 25 May 2025")
    block = text[swap : text.index("\n\n", swap)]
    assert "Returned to Ukraine: 1,000 people · to Russia: 1,000 people" in block
    assert "23 May: 390 each (270 soldiers and 120 civilians); 24 May: 307 each" in block
    assert "25 May: 303 each" in block
    bodies = text.index("✅ Completed · Mon 16 Jun 2025")
    block = text[bodies : text.index("\n\n", bodies)]
    assert "Returned to Ukraine: 1,245 bodies" in block
    assert "Who: bodies" in block
    assert "Returned to Ukraine: 197 people · to Russia: 175 people" in text


async def test_positions_show_current_stances_and_history(bot: Harness) -> None:
    chat = bot.chat()
    nato = (await chat.ask("/positions nato")).plain
    assert "• Ukraine: Still wants to join NATO but says the US and several members" in nato
    assert "as of Tue 9 Dec 2025" in nato
    assert "• United States: Its 28-point draft has Ukraine promise not to join NATO." in nato
    assert "Russia's foreign ministry says a mere refusal" not in nato, "superseded, not current"

    elections = (await chat.ask("/positions elections")).plain
    assert "• Ukraine: Zelensky says Ukraine can hold elections within 60 to 90 days" in elections
    assert "• United States: Trump says it is time for Ukraine to hold an election" in elections

    history = (await chat.ask("/positions history nato")).plain
    assert "a mere refusal to admit Ukraine to NATO is not enough" in history
    assert "as of Tue 18 Feb 2025 (superseded)" in history

    overview = await all_pages(chat, "/positions all", "More")
    for name in ("SECURITY GUARANTEES", "ELECTIONS IN UKRAINE", "BLACK SEA AND SHIPPING"):
        assert f"— {name} —" in overview
    assert "• European Union: Adopted an 18th sanctions package" in overview
