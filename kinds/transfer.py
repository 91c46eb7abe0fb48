"""Bulk import and export of every kind of fact in the documented JSON format."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError, create_model
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.audit import snapshot
from kinds.base import ExportKeys, FactKind, Refs
from kinds.registry import SPECS, AnySpec
from kinds.round import TalkRound
from kinds.writes import add_fact, existing_keys, round_refs
from store.audit import Actor, record_audit
from store.facts import split_list
from store.models import Citation, Issue, Party, Source
from store.transfer import (
    SEED_FILE,
    IssueIn,
    PartyIn,
    RetractionIn,
    SourceIn,
    StrictModel,
)


class DatasetBase(StrictModel):
    """What a file holds besides its facts: format, title, parties, issues and sources."""

    format: Literal["peace-briefing/1"] = "peace-briefing/1"
    title: str | None = None
    exported_at: dt.datetime | None = None
    parties: list[PartyIn] = []
    issues: list[IssueIn] = []
    sources: list[SourceIn] = []


def _list_of(item: type[Any]) -> Any:
    return list[item]  # type: ignore[valid-type]


# A whole import or export file: the shared lists, then one list per kind (rounds first).
Dataset: type[DatasetBase] = create_model(  # type: ignore[call-overload]
    "Dataset",
    __base__=DatasetBase,
    __doc__="A whole import or export file.",
    **{spec.section: (_list_of(spec.input), []) for spec in SPECS},
)


def section_of(dataset: DatasetBase, spec: AnySpec) -> list[Any]:
    """The facts of one kind in a dataset."""
    items: list[Any] = getattr(dataset, spec.section)
    return items


@dataclass
class ImportReport:
    """What an import did, or every reason it refused to."""

    created: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    facts: list[tuple[FactKind, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the import was written."""
        return not self.errors

    def summary(self) -> str:
        """One line for people: what was added and what was already there."""
        if self.errors:
            return f"Import refused: {len(self.errors)} problem(s); nothing was written."
        made = ", ".join(f"{n} {k}" for k, n in self.created.items() if n) or "nothing new"
        kept = sum(self.skipped.values())
        return f"Imported {made}" + (f"; {kept} already present, skipped." if kept else ".")


def _label(section: str, index: int, item: Any) -> str:
    key = item.get("key") if isinstance(item, dict) else getattr(item, "key", None)
    return f"{section}[{index}]" + (f" ({key})" if key else "")


# Real files nest four levels; the limit is checked before parsing, so deep files cannot
# exhaust the parser's recursion.
MAX_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def _too_deep(raw: bytes) -> bool:
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub(b"", raw)):
        depth += 1 if bracket.group() in (b"[", b"{") else -1
        if depth > MAX_DEPTH:
            return True
    return False


def _duplicate_keys(dataset: DatasetBase) -> list[str]:
    """A key may appear once per section; a second one would fail on the unique index."""
    problems = []
    for section in type(dataset).model_fields:
        items = getattr(dataset, section)
        if not isinstance(items, list):
            continue
        seen: set[str] = set()
        for index, item in enumerate(items):
            key = getattr(item, "key", None)
            if key is not None and key in seen:
                problems.append(f"{_label(section, index, item)}: key “{key}” appears twice")
            if key is not None:
                seen.add(key)
    return problems


def parse_dataset(raw: bytes | str) -> tuple[DatasetBase | None, list[str]]:
    """Parse and validate a file; on failure return every problem, each naming its item."""
    if _too_deep(raw.encode() if isinstance(raw, str) else raw):
        return None, [
            f"the JSON is nested more than {MAX_DEPTH} levels deep; this is no import file"
        ]
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [f"not a JSON file: {exc}"]
    if not isinstance(data, dict):
        return None, ["the file must hold one JSON object (see docs/data-format.md)"]
    try:
        dataset = Dataset.model_validate(data)
        duplicates = _duplicate_keys(dataset)
        return (None, duplicates) if duplicates else (dataset, [])
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = err["loc"]
            where = ".".join(str(p) for p in loc)
            if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
                section = data.get(loc[0])
                item = section[loc[1]] if isinstance(section, list) else None
                rest = ".".join(str(p) for p in loc[2:]) or "item"
                where = f"{_label(loc[0], loc[1], item)}: {rest}"
            problems.append(f"{where}: {err['msg']}")
        return None, problems


async def import_dataset(
    session: AsyncSession,
    dataset: DatasetBase,
    *,
    actor: Actor | None = None,
    action: str = "import",
    commit: bool = True,
) -> ImportReport:
    """Write a validated dataset in one transaction: all of it, or nothing and the reasons.

    Every fact created is written to the audit log under `actor` (None: the system). With
    commit=False a successful import is left for the caller to commit with its own writes.
    """
    report = ImportReport()
    try:
        await _write(session, dataset, report)
        if not report.errors:
            for kind, fact_id in report.facts:
                after = await snapshot(session, kind=kind, fact_id=fact_id)
                await record_audit(
                    session, actor=actor, action=action, kind=kind, fact_id=fact_id, after=after
                )
    except Exception:
        await session.rollback()
        raise
    if report.errors:
        await session.rollback()
    elif commit:
        await session.commit()
    return report


def _bump(counter: dict[str, int], what: str) -> None:
    counter[what] = counter.get(what, 0) + 1


async def _write_named(session: AsyncSession, ds: DatasetBase, report: ImportReport) -> Refs:
    """Parties and issues (existing keys are kept as they are), and every key facts may name."""
    refs = Refs(errors=report.errors)
    named: tuple[tuple[str, Any, Sequence[PartyIn], dict[str, Any]], ...] = (
        ("parties", Party, ds.parties, refs.parties),
        ("issues", Issue, ds.issues, refs.issues),
    )
    for section, model, items, known_rows in named:
        known = await existing_keys(session, model, [i.key for i in items])
        stored: Sequence[Any] = (await session.exec(select(model))).all()
        known_rows.update({r.key: r for r in stored})
        for item in items:
            if item.key in known:
                _bump(report.skipped, section)
                continue
            row = model(
                key=item.key, name=item.name, aliases=", ".join(a.lower() for a in item.aliases)
            )
            session.add(row)
            known_rows[item.key] = row
            _bump(report.created, section)
    await session.flush()
    refs.rounds.update(await round_refs(session))
    return refs


class _Sources:
    """Resolves a file's source keys and inline sources to ids, creating new sources once."""

    def __init__(self, session: AsyncSession, report: ImportReport) -> None:
        self.session, self.report = session, report
        self.ids: dict[str, int] = {}
        self.known: dict[str, Any] = {}

    async def declare(self, sources: Sequence[SourceIn]) -> None:
        self.known = await existing_keys(self.session, Source, [s.key for s in sources if s.key])
        for src in sources:
            await self.source_id(src)

    async def source_id(self, src: SourceIn) -> int:
        if src.key and src.key in self.ids:
            return self.ids[src.key]
        if src.key and src.key in self.known:
            sid: int | None = self.known[src.key].id
        else:
            found = (
                await self.session.exec(
                    select(Source).where(
                        Source.name == src.name,
                        Source.url == src.url if src.url else col(Source.url).is_(None),
                        Source.published == src.published
                        if src.published
                        else col(Source.published).is_(None),
                    )
                )
            ).first()
            if found is not None and (src.key is None or found.key in (None, src.key)):
                sid = found.id
            else:
                row = Source(**src.model_dump())
                self.session.add(row)
                await self.session.flush()
                sid = row.id
                _bump(self.report.created, "sources")
        assert sid is not None
        if src.key:
            self.ids[src.key] = sid
        return sid

    async def resolve(self, label: str, refs: list[str | SourceIn]) -> list[int]:
        ids = []
        for ref in refs:
            if isinstance(ref, SourceIn):
                ids.append(await self.source_id(ref))
            elif ref in self.ids:
                ids.append(self.ids[ref])
            else:
                row = (await self.session.exec(select(Source).where(Source.key == ref))).first()
                if row is None or row.id is None:
                    self.report.errors.append(
                        f"{label}: unknown source {ref!r} (declare it under sources)"
                    )
                else:
                    self.ids[ref] = row.id
                    ids.append(row.id)
        return ids


async def _write(session: AsyncSession, ds: DatasetBase, report: ImportReport) -> None:
    refs = await _write_named(session, ds, report)
    sources = _Sources(session, report)
    await sources.declare(ds.sources)
    for spec in SPECS:
        for i, item in enumerate(section_of(ds, spec)):
            label = _label(spec.section, i, item)
            if item.key is not None and await existing_keys(session, spec.table, [item.key]):
                _bump(report.skipped, spec.section)
                continue
            source_ids = await sources.resolve(label, item.sources)
            row = await add_fact(session, spec, item, refs=refs, source_ids=source_ids, label=label)
            if row is None:
                continue
            _bump(report.created, spec.section)
            report.facts.append((spec.kind, int(row.id)))
    for link in refs.later:
        await link()


async def import_bytes(
    session: AsyncSession, raw: bytes | str, *, actor: Actor | None = None
) -> ImportReport:
    """Parse, validate and import a file's content; the report says what happened."""
    dataset, problems = parse_dataset(raw)
    if dataset is None:
        return ImportReport(errors=problems)
    return await import_dataset(session, dataset, actor=actor)


async def load_seed(session: AsyncSession, path: Path = SEED_FILE) -> ImportReport:
    """Load the seed facts through the same import path editors use (idempotent by key)."""
    return await import_bytes(session, await asyncio.to_thread(path.read_bytes))


# ---------------------------------------------------------------- export


async def export_dataset(session: AsyncSession, *, title: str | None = None) -> DatasetBase:
    """Everything in the store, retracted facts included, in the import format."""
    parties = (await session.exec(select(Party).order_by(col(Party.id)))).all()
    issues = (await session.exec(select(Issue).order_by(col(Issue.id)))).all()
    sources = (await session.exec(select(Source).order_by(col(Source.id)))).all()
    source_key = {s.id: s.key or f"source-{s.id}" for s in sources}
    rounds = (await session.exec(select(TalkRound.id, TalkRound.key))).all()
    keys = ExportKeys(
        parties={p.id: p.key for p in parties if p.id is not None},
        issues={i.id: i.key for i in issues if i.id is not None},
        rounds={rid: key or f"round-{rid}" for rid, key in rounds if rid is not None},
    )
    citations: dict[tuple[str, int], list[str]] = {}
    for c in (await session.exec(select(Citation).order_by(col(Citation.id)))).all():
        citations.setdefault((c.fact_kind, c.fact_id), []).append(source_key[c.source_id])

    sections: dict[str, list[Any]] = {}
    for spec in SPECS:
        model: Any = spec.table
        rows = (await session.exec(select(model).order_by(col(model.id)))).all()
        own = await spec.export(session, rows, keys)
        items = []
        for row, fields in zip(rows, own, strict=True):
            common: dict[str, Any] = {
                "key": row.key or f"{spec.kind.value}-{row.id}",
                "sources": citations.get((spec.kind.value, row.id), []),
                "created_at": row.created_at,
            }
            if row.retracted_at is not None:
                common["retracted"] = RetractionIn(
                    at=row.retracted_at, reason=row.retraction_reason or ""
                )
            cited = common["sources"]
            # A fact stored before sources were required exports as it is (with no sources).
            item = spec.input(**{**common, "sources": cited or ["none"]}, **fields)
            if not cited:
                item.sources = []
            items.append(item)
        sections[spec.section] = items
    return Dataset(
        title=title,
        exported_at=dt.datetime.now(dt.UTC),
        parties=[
            PartyIn(key=p.key, name=p.name, aliases=list(split_list(p.aliases))) for p in parties
        ],
        issues=[
            IssueIn(key=i.key, name=i.name, aliases=list(split_list(i.aliases))) for i in issues
        ],
        sources=[
            SourceIn(
                key=source_key[s.id], name=s.name, title=s.title, url=s.url, published=s.published
            )
            for s in sources
        ],
        **sections,
    )


def dump_dataset(dataset: DatasetBase) -> str:
    """The dataset as pretty JSON text."""
    return dataset.model_dump_json(indent=2, exclude_none=True) + "\n"
