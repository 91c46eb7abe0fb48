"""Documents on the table: drafts, memoranda, roadmaps, proposals and agreements (/documents).

Coded after PA-X's agreement records: a date, a type, a stage (here `status`), the parties that
authored it, the issues it touches, and where it was handed over.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import StringConstraints
from sqlalchemy import Index, Text, UniqueConstraint, delete
from sqlalchemy import select as sa_select
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.dates import format_date
from core.i18n import N_, _
from core.text import clip, esc
from kinds.base import ExportKeys, FactKind, KindSpec, Refs
from kinds.common import full_round, input_sources, same_text, source_line
from kinds.day_order import day_order
from kinds.extras import NO_EXTRAS, FactExtras, differ_lines, input_extras, row_extras, when_text
from kinds.forms import Checker, FieldSpec, date_field, items, source_field
from kinds.round import TalkRound, round_snapshot
from kinds.translations import localized, original_marker
from kinds.vocabulary import label_text
from store.alternatives import alternatives_column
from store.models import FactBase, Issue, Party
from store.queries import page_of, parse_sources, sources_column
from store.transfer import FactIn, Key, Long, Short
from store.views import Page, SourceRef

Status = Literal["drafted", "handed_over", "published", "signed", "rejected"]

STATUS_LABELS: dict[str, str] = {
    "drafted": N_("✍️ Drafted"),
    "handed_over": N_("📨 Handed over"),
    "published": N_("📢 Published"),
    "signed": N_("✅ Signed"),
    "rejected": N_("❌ Rejected"),
}
STATUS_CHOICES = {
    "drafted": "drafted",
    "draft": "drafted",
    "handed over": "handed_over",
    "handed": "handed_over",
    "submitted": "handed_over",
    "delivered": "handed_over",
    "published": "published",
    "public": "published",
    "signed": "signed",
    "rejected": "rejected",
    "refused": "rejected",
}


class Document(FactBase, table=True):
    """A text on the negotiating table: who wrote it, when, how far it got, what it says."""

    __table_args__ = (Index("ix_document_date", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_type=Text)
    date: dt.date
    status: str = Field(default="drafted", max_length=16)
    doc_type: str | None = Field(default=None, max_length=100)
    round_id: int | None = Field(default=None, foreign_key="talk_round.id")
    summary: str = Field(default="", sa_type=Text)


class DocumentAuthor(SQLModel, table=True):
    """One party that authored a document."""

    __tablename__ = "document_author"
    __table_args__ = (UniqueConstraint("document_id", "party_id", name="uq_document_author"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    party_id: int = Field(foreign_key="party.id")


class DocumentIssue(SQLModel, table=True):
    """One issue a document touches."""

    __tablename__ = "document_issue"
    __table_args__ = (UniqueConstraint("document_id", "issue_id", name="uq_document_issue"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    issue_id: int = Field(foreign_key="issue.id")


class DocumentIn(FactIn):
    """A document, as import files and editors' forms give it."""

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    date: dt.date
    status: Status = "drafted"
    type: Short | None = None
    authors: list[Key] = []
    issues: list[Key] = []
    round: Key | None = None
    summary: Long = ""


@dataclass(frozen=True, slots=True)
class DocumentView:
    """A document with its authors, issues, round and sources."""

    id: int
    title: str
    date: dt.date
    status: str
    doc_type: str | None = None
    authors: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
    round_title: str | None = None
    round_date: dt.date | None = None
    summary: str = ""
    sources: tuple[SourceRef, ...] = ()
    extras: FactExtras = NO_EXTRAS


def _select() -> Any:
    return (
        sa_select(
            Document,
            col(TalkRound.title),
            col(TalkRound.date),
            sources_column(FactKind.DOCUMENT, Document.id),
            alternatives_column(FactKind.DOCUMENT, Document.id),
        )
        .join(
            TalkRound,
            (col(TalkRound.id) == col(Document.round_id)) & col(TalkRound.retracted_at).is_(None),
            isouter=True,
        )
        .where(col(Document.retracted_at).is_(None))
    )


async def _linked_names(
    session: AsyncSession, ids: Sequence[int]
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """The authors' and the issues' names of each document, in the order they were given."""
    found: tuple[dict[int, list[str]], dict[int, list[str]]] = (
        defaultdict(list),
        defaultdict(list),
    )
    if not ids:
        return found
    for names, link, target, column in (
        (found[0], DocumentAuthor, Party, DocumentAuthor.party_id),
        (found[1], DocumentIssue, Issue, DocumentIssue.issue_id),
    ):
        rows = await session.exec(
            select(link.document_id, target.name)
            .join(target, col(target.id) == col(column))
            .where(col(link.document_id).in_(list(ids)))
            .order_by(col(link.id))
        )
        for doc_id, name in rows:
            names[doc_id].append(name)
    return found


async def _views(session: AsyncSession, rows: Sequence[Any]) -> list[DocumentView]:
    authors, issues = await _linked_names(session, [row[0].id for row in rows])
    return [
        DocumentView(
            id=doc.id,
            title=doc.title,
            date=doc.date,
            status=doc.status,
            doc_type=doc.doc_type,
            authors=tuple(authors.get(doc.id, ())),
            issues=tuple(issues.get(doc.id, ())),
            round_title=round_title,
            round_date=round_date,
            summary=doc.summary,
            sources=parse_sources(raw),
            extras=row_extras(doc, doc.date, others),
        )
        for doc, round_title, round_date, raw, others in rows
    ]


async def list_documents(
    session: AsyncSession, *, limit: int, offset: int = 0
) -> Page[DocumentView]:
    """Live documents, newest first."""
    stmt = _select().order_by(*day_order(Document, Document.date)).offset(offset).limit(limit + 1)
    rows = (await session.exec(stmt)).all()
    return page_of(await _views(session, rows), offset=offset, limit=limit)


def document_block(d: DocumentView) -> str:
    """One document: title, date, status and type, authors, round, issues, key terms, sources."""
    head = f"📄 <b>{esc(clip(localized(d, 'title'), 160))}</b>{original_marker(d)}"
    status = STATUS_LABELS.get(d.status)
    meta = [f"📅 {when_text(d.date, d.extras)}", _(status) if status else esc(d.status)]
    if d.doc_type:
        meta.append(esc(clip(label_text(d.doc_type), 60)))
    lines = [head, " · ".join(meta)]
    if d.authors:
        lines.append(_("By:") + " " + esc(clip("; ".join(d.authors), 150)))
    if d.round_title or d.round_date:
        on = f" ({format_date(d.round_date)})" if d.round_date else ""
        label = esc(clip(d.round_title, 100)) if d.round_title else _("talks")
        lines.append(_("Handed over at:") + f" {label}{on}")
    if d.issues:
        lines.append(_("Issues:") + " " + esc(clip(", ".join(d.issues), 200)))
    if d.summary:
        lines.append(_("Key terms:") + " " + esc(clip(localized(d, "summary"), 600)))
    lines += differ_lines(d)
    lines.append(source_line(d.sources))
    return "\n".join(lines)


def _check_names(kind: str) -> Any:
    def check(checker: Checker, value: str) -> None:
        for name in items(value):
            checker.named(kind, name)

    return check


class DocumentSpec(KindSpec[Document, DocumentIn, DocumentView]):
    """Documents on the negotiating table."""

    kind = FactKind.DOCUMENT
    letter = "D"
    section = "documents"
    noun = N_("document")
    label = N_("Document")
    icon = "📄"
    add_command = "document"
    add_help = N_("record a document on the table (draft, memorandum, agreement)")
    add_example = "/document TITLE + date:, authors:"
    where_shown = "/documents and /search"
    table = Document
    input = DocumentIn
    fields = (
        FieldSpec("title", True, N_("Title? e.g. Russian memorandum on a settlement"), ("name",)),
        date_field(),
        FieldSpec(
            "authors",
            True,
            N_("Which parties wrote it? e.g. Russia, or Ukraine, United States"),
            ("author", "by", "parties", "party"),
            _check_names("party"),
        ),
        FieldSpec(
            "status",
            False,
            N_("Status: drafted, handed over, published, signed or rejected? (/skip = drafted)"),
            ("stage", "state"),
            lambda c, v: c.choice("status", v, STATUS_CHOICES),
        ),
        FieldSpec("type", False, N_("Type? e.g. memorandum, roadmap, ceasefire proposal (/skip)")),
        FieldSpec(
            "issues",
            False,
            N_("Issues it touches, comma-separated? e.g. ceasefire, territory (/skip)"),
            ("issue", "topics"),
            _check_names("issue"),
        ),
        FieldSpec(
            "round", False, N_("Handed over at which round? Its id, e.g. R1 (/skip)"), ("at",)
        ),
        FieldSpec(
            "summary", False, N_("Key terms, in a few sentences? (/skip)"), ("terms", "key terms")
        ),
        source_field(),
    )
    lead_field = "title"
    usage = (
        "<code>/document TITLE\ndate: 2 June 2025\nauthors: Russia\nstatus: handed over\n"
        "type: memorandum\nissues: ceasefire, territory\nround: R1\nsummary: …\n"
        "source: Reuters https://…</code>"
    )
    title_attr = "title"
    briefing_heading = N_("📄 <b>Documents</b>")
    list_command = "documents"
    list_help = N_("the texts on the table: drafts, memoranda, roadmaps, agreements")
    list_title = N_("📄 <b>Documents on the table</b> (newest first)")
    list_empty = N_("No documents on file yet.")
    translatable = ("title", "summary")
    full_labels = {
        "title": N_("Title"),
        "date": N_("Date"),
        "status": N_("Status"),
        "type": N_("Type"),
        "authors": N_("By"),
        "issues": N_("Issues"),
        "round": N_("Handed over at"),
        "summary": N_("Key terms"),
    }

    async def load(self, session: AsyncSession, ids: Sequence[int]) -> list[DocumentView]:
        rows = (await session.exec(_select().where(col(Document.id).in_(ids)))).all()
        return await _views(session, rows)

    async def list_page(
        self, session: AsyncSession, *, limit: int, offset: int
    ) -> Page[DocumentView]:
        """One page of the /documents list."""
        return await list_documents(session, limit=limit, offset=offset)

    def new_row(self, item: DocumentIn, refs: Refs, label: str) -> Document | None:
        authors = [refs.party(label, k, at="authors") for k in item.authors]
        issues = [refs.issue(label, k, at="issues") for k in item.issues]
        round_id = refs.fact(label, FactKind.ROUND, item.round)
        if None in authors or None in issues or (item.round and round_id is None):
            return None
        row = Document(title=item.title, date=item.date)
        self._fill(row, item, round_id)
        return row

    def _fill(self, row: Document, item: DocumentIn, round_id: int | None) -> None:
        row.title, row.date, row.status = item.title, item.date, item.status
        row.doc_type, row.round_id, row.summary = item.type, round_id, item.summary

    async def after_insert(
        self, session: AsyncSession, row: Document, item: DocumentIn, refs: Refs
    ) -> None:
        assert row.id is not None
        for key in dict.fromkeys(item.authors):
            party_id = refs.parties[key].id
            assert party_id is not None
            session.add(DocumentAuthor(document_id=row.id, party_id=party_id))
        for key in dict.fromkeys(item.issues):
            issue_id = refs.issues[key].id
            assert issue_id is not None
            session.add(DocumentIssue(document_id=row.id, issue_id=issue_id))
        await session.flush()

    async def apply(
        self, session: AsyncSession, row: Document, item: DocumentIn, refs: Refs
    ) -> None:
        if None in [refs.party("document", k) for k in item.authors] + [
            refs.issue("document", k) for k in item.issues
        ]:
            raise LookupError("; ".join(refs.errors))
        round_id = refs.fact("document", FactKind.ROUND, item.round)
        if item.round and round_id is None:
            raise LookupError("; ".join(refs.errors))
        self._fill(row, item, round_id)
        await session.exec(delete(DocumentAuthor).where(col(DocumentAuthor.document_id) == row.id))
        await session.exec(delete(DocumentIssue).where(col(DocumentIssue.document_id) == row.id))
        await self.after_insert(session, row, item, refs)

    async def _names(self, session: AsyncSession, row: Document) -> tuple[list[str], list[str]]:
        assert row.id is not None
        authors, issues = await _linked_names(session, [row.id])
        return authors.get(row.id, []), issues.get(row.id, [])

    async def search_text(self, session: AsyncSession, row: Document) -> str:
        authors, issues = await self._names(session, row)
        status = row.status.replace("_", " ")
        words = [row.title, "document text", row.doc_type, status, *authors, *issues, row.summary]
        return " ".join(filter(None, words))

    async def snapshot(self, session: AsyncSession, row: Document, data: dict[str, Any]) -> None:
        data["authors"], data["issues"] = await self._names(session, row)
        data["round"] = await round_snapshot(session, data.pop("round_id", None))
        data["type"] = data.pop("doc_type", None)

    async def export(
        self, session: AsyncSession, rows: Sequence[Document], keys: ExportKeys
    ) -> list[dict[str, Any]]:
        authors: dict[int, list[str]] = defaultdict(list)
        issues: dict[int, list[str]] = defaultdict(list)
        for a in (
            await session.exec(select(DocumentAuthor).order_by(col(DocumentAuthor.id)))
        ).all():
            authors[a.document_id].append(keys.parties[a.party_id])
        for i in (await session.exec(select(DocumentIssue).order_by(col(DocumentIssue.id)))).all():
            issues[i.document_id].append(keys.issues[i.issue_id])
        return [
            {
                "title": d.title,
                "date": d.date,
                "status": d.status,
                "type": d.doc_type,
                "authors": authors.get(d.id or 0, []),
                "issues": issues.get(d.id or 0, []),
                "round": keys.fact(FactKind.ROUND, d.round_id),
                "summary": d.summary,
            }
            for d in rows
        ]

    async def duplicates(
        self, session: AsyncSession, item: DocumentIn, candidates: Any
    ) -> list[int]:
        rows = (await session.exec(candidates.where(Document.date == item.date))).all()
        return [r.id for r in rows if same_text(r.title, item.title)]

    def build(self, values: Mapping[str, str], check: Checker) -> dict[str, Any]:
        status = check.choice("status", values.get("status") or "drafted", STATUS_CHOICES)
        round_ref = (values.get("round") or "").strip().upper() or None
        if round_ref is not None and round_ref not in check.ctx.rounds:
            check.errors.append(
                f"round: no round {round_ref[:12]}; give its id as /rounds lists it, e.g. R1."
            )
            round_ref = None
        elif round_ref is not None:
            check.names[round_ref] = check.ctx.rounds[round_ref]
        return {
            "title": values.get("title", ""),
            "date": check.date("date", values.get("date")),
            "status": status or "drafted",
            "type": values.get("type") or None,
            "authors": [k for n in items(values.get("authors")) if (k := check.party(n))],
            "issues": [k for n in items(values.get("issues")) if (k := check.issue(n))],
            "round": round_ref,
            "summary": values.get("summary", ""),
        }

    def form_values(self, snap: Mapping[str, Any]) -> dict[str, str]:
        return {
            "title": snap.get("title", ""),
            "date": snap["date"],
            "authors": ", ".join(snap.get("authors", [])),
            "status": str(snap.get("status", "drafted")).replace("_", " "),
            "type": snap.get("type") or "",
            "issues": ", ".join(snap.get("issues", [])),
            "round": str(snap.get("round", "")).split(" ", 1)[0],
            "summary": snap.get("summary", ""),
        }

    def block(self, view: DocumentView) -> str:
        return document_block(view)

    def full_value(self, key: str, value: Any) -> str:
        if key == "status":
            label = STATUS_LABELS.get(str(value))
            return _(label) if label else esc(value)
        if key == "round":
            return full_round(value)
        if key == "type" and isinstance(value, str):
            return esc(label_text(value))
        return super().full_value(key, value)

    def preview_view(self, item: DocumentIn, names: Mapping[str, str]) -> DocumentView:
        return DocumentView(
            0,
            item.title,
            item.date,
            item.status,
            item.type,
            tuple(names.get(k, k) for k in item.authors),
            tuple(names.get(k, k) for k in item.issues),
            names.get(item.round, item.round) if item.round else None,
            None,
            item.summary,
            input_sources(item),
            input_extras(item),
        )


SPEC = DocumentSpec()
