"""Documents, the kind added through its spec alone: chat, import/export, search, briefing, edits.

Runs on SQLite and, with TEST_POSTGRES_URL, on PostgreSQL, through the real Application and the
strict fake Bot API. The editor is user 42.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

import kinds.registry
from fake_telegram import SentMessage
from kinds.base import FactKind
from kinds.dataset import dump_dataset
from kinds.digest import changes_between
from kinds.document import Document, DocumentAuthor, DocumentIssue
from kinds.export import export_dataset
from kinds.transfer import import_bytes
from render.briefing import briefing_messages
from store.models import AuditEntry, Draft, Issue, Party, SearchDoc
from tests.conftest import EDITOR, Chat, Harness, editor_chat, make_settings, start_harness

KYIV = ZoneInfo("Europe/Kyiv")
MEMORANDUM = "Russia's draft memorandum on a peace settlement"
ROADMAP = "Ukraine's proposed roadmap to peace"
ISTANBUL = "Second round of Russia–Ukraine peace talks in Istanbul"
PROPOSAL = (
    "/document US 28-point peace framework\n"
    "date: 20 November 2025\n"
    "authors: United States, Russia\n"
    "status: handed over\n"
    "type: peace plan\n"
    "issues: territory, NATO\n"
    "round: R1\n"
    "summary: Ukraine to cede the rest of Donbas; a cap on its army; no NATO membership.\n"
    "source: Reuters https://www.reuters.com/world/europe/example"
)


@pytest.fixture
def bot(editor_bot: Harness) -> Harness:
    """The seeded bot on each backend, with user 42 as the only editor."""
    return editor_bot


editor = editor_chat


async def save(chat: Chat, preview: SentMessage, label: str = "Save") -> str:
    """Press Save (or Retract) on a preview; return the callback's answer."""
    await chat.press(preview, label)
    return chat.bot.api.callback_answers[-1].text or ""


async def documents(h: Harness) -> list[Document]:
    async with h.sessions() as session:
        return list((await session.exec(select(Document).order_by(col(Document.id)))).all())


async def names_of(h: Harness, doc_id: int) -> tuple[list[str], list[str]]:
    async with h.sessions() as session:
        authors = await session.exec(
            select(Party.key)
            .join(DocumentAuthor, col(DocumentAuthor.party_id) == col(Party.id))
            .where(DocumentAuthor.document_id == doc_id)
            .order_by(col(DocumentAuthor.id))
        )
        issues = await session.exec(
            select(Issue.key)
            .join(DocumentIssue, col(DocumentIssue.issue_id) == col(Issue.id))
            .where(DocumentIssue.document_id == doc_id)
            .order_by(col(DocumentIssue.id))
        )
        return list(authors), list(issues)


async def test_the_seed_documents_are_listed_with_authors_status_round_and_source(
    bot: Harness,
) -> None:
    reply = await bot.chat().ask("/documents")
    text = reply.plain
    assert text.startswith("📄 Documents on the table (newest first)")
    # Both are dated 2 June 2025; the later-stored one first.
    assert text.index(ROADMAP) < text.index(MEMORANDUM)
    memo = text[text.index(MEMORANDUM) :]
    assert "📅 Mon 2 Jun 2025 · 📨 Handed over · memorandum" in memo
    assert "By: Russia" in memo
    assert f"Handed over at: {ISTANBUL} (Mon 2 Jun 2025)" in memo
    assert "Issues: Ceasefire" in memo
    assert "Source: Reuters, Mon 2 Jun 2025" in memo
    roadmap = text[text.index(ROADMAP) : text.index(MEMORANDUM)]
    assert "✍️ Drafted · roadmap" in roadmap and "By: Ukraine" in roadmap
    assert "reparations" in roadmap
    assert "/documents" in (await bot.chat().ask("/help")).plain


async def test_documents_take_a_page_number_or_all(bot: Harness) -> None:
    async with bot.sessions() as session:
        for n in (1, 2, 3):  # older than the two seed documents, so they come last
            session.add(Document(title=f"Old draft {n}", date=dt.date(2025, 1, n)))
        await session.commit()
    chat = bot.chat()
    first, everything = await chat.ask("/documents"), await chat.ask("/documents all")
    assert everything.plain == first.plain
    assert "Old draft 3" in first.plain and "Old draft 1" not in first.plain
    second = await chat.ask("/documents 2")
    assert second.plain.startswith("📄 Documents on the table (newest first)")
    assert "Old draft 1" in second.plain and MEMORANDUM not in second.plain
    assert (await chat.ask("/documents 3")).plain == (
        "There is no page 3: the list is shorter. /documents shows the first."
    )
    assert (await chat.ask("/documents latest")).plain == (
        "Usage: /documents (newest first) or /documents PAGE, e.g. /documents 2"
    )
    await chat.send("/language uk")
    assert (await chat.ask("/documents latest")).plain == (
        "Як користуватися: /documents (спершу найновіші) або /documents СТОРІНКА, "
        "напр. /documents 2"
    )
    assert (await chat.ask("/documents 3")).plain == (
        "Сторінки 3 немає: список коротший. /documents показує першу."
    )


async def test_an_editor_adds_a_document_and_it_reaches_every_reader_command(bot: Harness) -> None:
    chat = editor(bot)
    preview = await chat.ask(PROPOSAL)
    assert "Preview: new document" in preview.plain
    assert "New party" not in preview.plain  # both parties are in the seed
    assert "📨 Handed over · peace plan" in preview.plain
    assert [d.title for d in await documents(bot)] == [MEMORANDUM, ROADMAP]  # nothing stored yet
    answer = await save(chat, preview)
    assert answer.startswith("Saved as D") and answer.endswith(".")
    ref = answer.removeprefix("Saved as ").rstrip(".")
    stored = (await documents(bot))[-1]
    assert ref == f"D{stored.id}"
    assert (stored.title, stored.date, stored.status, stored.doc_type) == (
        "US 28-point peace framework",
        dt.date(2025, 11, 20),
        "handed_over",
        "peace plan",
    )
    assert stored.round_id == 1
    assert await names_of(bot, stored.id or 0) == (
        ["united-states", "russia"],
        ["territory", "nato"],
    )

    listed = (await bot.chat().ask("/documents")).plain
    assert listed.index("US 28-point peace framework") < listed.index(ROADMAP)
    assert "By: United States; Russia" in listed
    assert f"Handed over at: {ISTANBUL}" in listed
    saved = chat.bot.api.sent(EDITOR)[-1].plain  # the preview, edited into the confirmation
    assert f"Handed over at: {ISTANBUL} (Mon 2 Jun 2025)" in saved

    found = (await bot.chat().ask("/search Donbas")).plain
    assert "📄 Document" in found and "US 28-point peace framework" in found
    async with bot.sessions() as session:
        docs = (
            await session.exec(select(SearchDoc).where(SearchDoc.fact_kind == "document"))
        ).all()
    assert len(docs) == 3

    history = (await chat.ask(f"/history {ref}")).plain
    assert "created" in history


async def test_edit_retract_and_history_of_a_document(bot: Harness) -> None:
    chat = editor(bot)
    memo = (await documents(bot))[0]
    ref = f"D{memo.id}"
    preview = await chat.ask(f"/edit {ref}\nstatus: rejected\nauthors: Russia, Belarus")
    assert f"Preview: correction of {ref}" in preview.plain
    assert "status: handed over → rejected" in preview.plain
    assert "🆕 New party “Belarus”" in preview.plain
    assert await save(chat, preview) == f"Corrected {ref}."
    edited = (await documents(bot))[0]
    assert edited.status == "rejected" and edited.title == MEMORANDUM
    assert (await names_of(bot, memo.id or 0))[0] == ["russia", "belarus"]
    assert "❌ Rejected" in (await bot.chat().ask("/documents")).plain

    preview = await chat.ask(f"/retract {ref} wrong attribution")
    await save(chat, preview, "Retract")
    assert (await documents(bot))[0].retracted_at is not None
    listed = (await bot.chat().ask("/documents")).plain
    assert MEMORANDUM not in listed and ROADMAP in listed
    found = (await bot.chat().ask("/search memorandum settlement")).plain
    assert "📄 Document" not in found and MEMORANDUM not in found
    async with bot.sessions() as session:
        actions = (
            await session.exec(
                select(AuditEntry.action)
                .where(AuditEntry.fact_kind == "document", AuditEntry.fact_id == memo.id)
                .order_by(col(AuditEntry.id))
            )
        ).all()
    assert actions == ["import", "edit", "retract"]


async def test_a_guided_document_form_asks_field_by_field(bot: Harness) -> None:
    chat = editor(bot)
    first = await chat.ask("/document")
    assert "New document, step by step" in first.plain and "Title?" in first.plain
    for answer in ("Ceasefire proposal", "3 June 2025", "Ukraine", "/skip", "/skip", "/skip"):
        await chat.ask(answer)
    await chat.ask("/skip")  # round
    await chat.ask("/skip")  # summary
    preview = await chat.ask("Reuters https://www.reuters.com/x")
    assert "Preview: new document" in preview.plain and "Ceasefire proposal" in preview.plain
    assert "✍️ Drafted" in preview.plain
    assert (await save(chat, preview)).startswith("Saved as D")


async def test_bad_document_forms_are_refused_and_store_nothing(bot: Harness) -> None:
    chat = editor(bot)
    before = len(await documents(bot))
    reply = await chat.ask("/document A text\ndate: 3 June 2025\nauthors: Russia\nstatus: torn")
    assert "status: use drafted, handed over, published, signed or rejected." in reply.plain
    reply = await chat.ask("/document A text\ndate: 3 June 2025\nauthors: Russia\nround: second")
    assert "round: no round SECOND; give its id as /rounds lists it, e.g. R1." in reply.plain
    reply = await chat.ask("/document A text\ndate: 3 June 2025\nauthors: Russia\nround: R99")
    assert "round: no round R99;" in reply.plain
    reply = await chat.ask("/document A text\ndate: 3 June 2025")
    assert "Missing: authors, source." in reply.plain
    assert len(await documents(bot)) == before


async def test_documents_go_through_export_and_import(bot: Harness, tmp_path: Any) -> None:
    async with bot.sessions() as session:
        exported = json.loads(dump_dataset(await export_dataset(session)))
    assert [d["key"] for d in exported["documents"]] == [
        "russia-memorandum-2025-06-02",
        "ukraine-roadmap-2025-06",
    ]
    memo = exported["documents"][0]
    assert memo["authors"] == ["russia"] and memo["round"] == "istanbul-2025-06-02"
    assert memo["status"] == "handed_over" and memo["sources"] == ["reuters-2025-06-02"]

    exported["documents"].append(
        {
            "key": "minsk-ii",
            "title": "Package of measures (Minsk II)",
            "date": "2015-02-12",
            "status": "signed",
            "authors": ["ukraine", "russia"],
            "issues": ["ceasefire"],
            "sources": [{"name": "UN Peacemaker"}],
        }
    )
    async with bot.sessions() as session:
        report = await import_bytes(session, json.dumps(exported))
    assert report.ok, report.errors
    assert report.created == {"sources": 1, "documents": 1}
    assert "Package of measures (Minsk II)" in (await bot.chat().ask("/documents")).plain

    bad = {"documents": [{"title": "T", "date": "2025-01-01", "authors": ["narnia"]}]}
    async with bot.sessions() as session:
        refused = await import_bytes(session, json.dumps(bad))
    # In one pass: the item's shape and its references.
    assert refused.errors == [
        "documents[0]: sources: Field required",
        "documents[0]: authors: unknown party 'narnia'",
    ]


async def test_a_new_document_is_in_the_briefing(bot: Harness) -> None:
    since = dt.datetime.now(dt.UTC)
    chat = editor(bot)
    await save(chat, await chat.ask(PROPOSAL))
    async with bot.sessions() as session:
        digest = await changes_between(session, since=since, until=dt.datetime.now(dt.UTC))
    assert [c.view.title for c in digest.section(FactKind.DOCUMENT)] == [
        "US 28-point peace framework"
    ]
    (text,) = briefing_messages(digest, tz=KYIV, today=dt.date(2025, 11, 21))
    assert "📄 Documents\n📄 US 28-point peace framework" in text.replace("<b>", "").replace(
        "</b>", ""
    )


def test_a_kind_without_a_spec_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(kinds.registry.BY_KIND, FactKind.DOCUMENT)
    with pytest.raises(RuntimeError, match="without a spec"):
        kinds.registry._check()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_empty_store_is_seeded_with_the_documents(database_url: str) -> None:
    async for h in start_harness(make_settings(database_url)):
        assert [d.title for d in await documents(h)] == [MEMORANDUM, ROADMAP]


async def test_a_position_keeps_its_party_and_issue_through_corrections(bot: Harness) -> None:
    chat = editor(bot)
    reply = await chat.ask("/edit P1\nparty: Ukraine\nstance: changed")
    assert reply.plain == (
        "party of P1 cannot be corrected: that would be another fact. "
        "Retract it and add the new one with /position."
    )
    async with bot.sessions() as session:
        drafts = (await session.exec(select(Draft))).all()
    assert drafts == []
