"""Bulk import and export of every kind of fact in the documented JSON format."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import ValidationError, create_model
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import _
from kinds.audit import snapshots
from kinds.base import ExportKeys, FactKind, Refs, suggest
from kinds.day_order import export_day
from kinds.queries import count_facts
from kinds.registry import SPECS, AnySpec
from kinds.round import TalkRound
from kinds.writes import add_fact, existing_keys, load_refs, round_refs
from store.alternatives import stored_alternatives
from store.audit import Actor, record_audit
from store.facts import split_list
from store.models import Citation, Issue, Party, Source
from store.queries import parties_and_issues
from store.transfer import (
    SEED_FILE,
    IssueIn,
    PartyIn,
    RetractionIn,
    SourceIn,
    StrictModel,
)
from store.translations import nested, stored_translations


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
    # Facts written without other sources' values or translations (their audit snapshot
    # need not read those back).
    bare: set[tuple[FactKind, int]] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        """True when the import was written."""
        return not self.errors

    def summary(self) -> str:
        """One line for people: what was added and what was already there."""
        if self.errors:
            return _("Import refused: {n} problem(s); nothing was written.").format(
                n=len(self.errors)
            )
        made = ", ".join(f"{n} {k}" for k, n in self.created.items() if n) or _("nothing new")
        kept = sum(self.skipped.values())
        if kept:
            return _("Imported {made}; {kept} already present, skipped.").format(
                made=made, kept=kept
            )
        return _("Imported {made}.").format(made=made)


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


def _duplicate_keys(data: dict[str, Any]) -> list[str]:
    """A key may appear once per list; the second one is an error, not "already present"."""
    problems = []
    for section, items in data.items():
        if not isinstance(items, list):
            continue
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            key = item.get("key") if isinstance(item, dict) else None
            if not isinstance(key, str):
                continue
            if key in first:
                problems.append(
                    f"{_label(section, index, item)}: key “{key}” appears twice in {section} "
                    f"(first at {section}[{first[key]}])"
                )
            else:
                first[key] = index
    return problems


_REFERABLE = {"parties": "party", "issues": "issue", "rounds": "round", "sources": "source"}


@dataclass
class Parsed:
    """What a file holds that validates, and every problem found in it, in one pass."""

    dataset: DatasetBase | None
    problems: list[str] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # "party:key" of refused declarations
    # Refused facts as written (list name, index, raw item): their references are checked too.
    invalid: list[tuple[str, int, Any]] = field(default_factory=list)
    # Where each valid item stands in the file (its list's index), for the paths of problems.
    indices: dict[str, list[int]] = field(default_factory=dict)


def _problem(data: dict[str, Any], err: Any, prefix: tuple[Any, ...] = ()) -> str:
    loc = (*prefix, *err["loc"])
    where = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        section = data.get(loc[0])
        item = section[loc[1]] if isinstance(section, list) else None
        rest = ".".join(str(p) for p in loc[2:]) or "item"
        where = f"{_label(loc[0], loc[1], item)}: {rest}"
    return f"{where}: {err['msg']}"


def parse_items(raw: bytes | str) -> Parsed:
    """Read a file and validate every item on its own: the valid ones, and all problems."""
    if _too_deep(raw.encode() if isinstance(raw, str) else raw):
        return Parsed(
            None, [f"the JSON is nested more than {MAX_DEPTH} levels deep; this is no import file"]
        )
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Parsed(None, [f"not a JSON file: {exc}"])
    if not isinstance(data, dict):
        return Parsed(None, ["the file must hold one JSON object (see docs/data-format.md)"])
    parsed = Parsed(None)
    lists = {n: i for n, i in Dataset.model_fields.items() if get_origin(i.annotation) is list}
    top = {k: ([] if k in lists else v) for k, v in data.items()}
    try:
        Dataset.model_validate(top)
    except ValidationError as exc:
        parsed.problems += [_problem(data, err) for err in exc.errors()]
    valid: dict[str, list[Any]] = {}
    for name, info in lists.items():
        items = data.get(name, [])
        if not isinstance(items, list):
            continue  # reported above
        (model,) = get_args(info.annotation)
        valid[name] = []
        parsed.indices[name] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            key = item.get("key") if isinstance(item, dict) else None
            if isinstance(key, str) and key in seen:
                continue  # a duplicate: reported by _duplicate_keys, never written
            if isinstance(key, str):
                seen.add(key)
            try:
                valid[name].append(model.model_validate(item))
                parsed.indices[name].append(index)
            except ValidationError as exc:
                parsed.problems += [_problem(data, e, (name, index)) for e in exc.errors()]
                key = item.get("key") if isinstance(item, dict) else None
                if name in _REFERABLE and isinstance(key, str):
                    parsed.refused.add(f"{_REFERABLE[name]}:{key}")
                elif isinstance(item, dict):
                    parsed.invalid.append((name, index, item))
    parsed.problems += _duplicate_keys(data)
    construct: Any = Dataset.model_construct
    parsed.dataset = construct(**valid)
    return parsed


def parse_dataset(raw: bytes | str) -> tuple[DatasetBase | None, list[str]]:
    """Parse and validate a file; on failure return every problem, each naming its item."""
    parsed = parse_items(raw)
    if parsed.problems:
        return None, parsed.problems
    return parsed.dataset, []


async def import_dataset(
    session: AsyncSession,
    dataset: DatasetBase,
    *,
    actor: Actor | None = None,
    action: str = "import",
    commit: bool = True,
    problems: Sequence[str] = (),
    refused: set[str] | None = None,
    invalid: Sequence[tuple[str, int, Any]] = (),
    indices: dict[str, list[int]] | None = None,
) -> ImportReport:
    """Write a validated dataset in one transaction: all of it, or nothing and the reasons.

    Every fact created is written to the audit log under `actor` (None: the system). With
    commit=False a successful import is left for the caller to commit with its own writes.
    """
    report = ImportReport(errors=list(problems))
    try:
        # With problems already found, the valid items are still written (then rolled back)
        # so that every refusal, references included, is reported in this one pass.
        await _write(session, dataset, report, refused or set(), indices or {})
        if invalid:
            await _check_invalid(session, invalid, report, refused or set())
        if not report.errors:
            afters = await snapshots(session, report.facts, bare=report.bare)
            for (kind, fact_id), after in zip(report.facts, afters, strict=True):
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


async def _write_named(
    session: AsyncSession, ds: DatasetBase, report: ImportReport, refused: set[str]
) -> Refs:
    """Parties and issues (existing keys are kept as they are), and every key facts may name."""
    refs = Refs(errors=report.errors, refused=refused)
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
            row = model(key=item.key, name=item.name, aliases=", ".join(item.aliases))
            session.add(row)
            known_rows[item.key] = row
            _bump(report.created, section)
    await session.flush()
    refs.rounds.update(await round_refs(session))
    return refs


class _Sources:
    """Resolves a file's source keys and inline sources to ids, creating new sources once."""

    def __init__(self, session: AsyncSession, report: ImportReport, refused: set[str]) -> None:
        self.session, self.report, self.refused = session, report, refused
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
                if (row is None or row.id is None) and f"source:{ref}" not in self.refused:
                    hint = suggest(ref, dict.fromkeys(self.ids))
                    tail = f" — did you mean {hint}?" if hint else " (declare it under sources)"
                    self.report.errors.append(f"{label}: sources: unknown source {ref!r}{tail}")
                elif row is None or row.id is None:
                    continue
                else:
                    self.ids[ref] = row.id
                    ids.append(row.id)
        return ids


async def _write(
    session: AsyncSession,
    ds: DatasetBase,
    report: ImportReport,
    refused: set[str],
    indices: dict[str, list[int]],
) -> None:
    refs = await _write_named(session, ds, report, refused)
    sources = _Sources(session, report, refused)
    await sources.declare(ds.sources)
    for spec in SPECS:
        at = indices.get(spec.section)
        items = section_of(ds, spec)
        # One query per kind for the keys already stored (an import may bring thousands).
        stored = await existing_keys(session, spec.table, [i.key for i in items if i.key])
        for i, item in enumerate(items):
            label = _label(spec.section, at[i] if at else i, item)
            if item.key is not None and item.key in stored:
                _bump(report.skipped, spec.section)
                continue
            source_ids = await sources.resolve(label, item.sources)
            alternative_ids = [
                sid
                for alt in item.alternatives or ()
                for sid in await sources.resolve(f"{label}: alternatives", [alt.source])
            ]
            if len(alternative_ids) != len(item.alternatives or ()):
                continue  # an unknown source, noted in the report's errors
            row = await add_fact(
                session,
                spec,
                item,
                refs=refs,
                source_ids=source_ids,
                alternative_source_ids=alternative_ids,
                label=label,
            )
            if row is None:
                continue
            _bump(report.created, spec.section)
            report.facts.append((spec.kind, int(row.id)))
            if not item.alternatives and not item.translations:
                report.bare.add((spec.kind, int(row.id)))
    for link in refs.later:
        await link()


async def _check_invalid(
    session: AsyncSession,
    invalid: Sequence[tuple[str, int, Any]],
    report: ImportReport,
    refused: set[str],
) -> None:
    """The references of facts refused for their shape, so that one pass reports them all."""
    refs = await load_refs(session)
    refs.errors, refs.refused = report.errors, refused
    by_section = {spec.section: spec for spec in SPECS}
    for section, index, raw in invalid:
        spec = by_section.get(section)
        if spec is None:
            continue
        fields = {k: v for k, v in raw.items() if k in spec.input.model_fields}
        try:
            spec.new_row(spec.input.model_construct(**fields), refs, _label(section, index, raw))
        except (AttributeError, KeyError, TypeError, ValueError):
            continue  # too malformed to follow its references; its shape is reported already


async def import_bytes(
    session: AsyncSession, raw: bytes | str, *, actor: Actor | None = None
) -> ImportReport:
    """Parse, validate and import a file's content; the report says what happened."""
    parsed = parse_items(raw)
    if parsed.dataset is None:
        return ImportReport(errors=parsed.problems)
    return await import_dataset(
        session,
        parsed.dataset,
        actor=actor,
        problems=parsed.problems,
        refused=parsed.refused,
        invalid=parsed.invalid,
        indices=parsed.indices,
    )


async def store_is_empty(session: AsyncSession) -> bool:
    """True when the store holds no fact, party or issue (a fresh database)."""
    counts = await count_facts(session)
    return not any(counts.values()) and not await parties_and_issues(session)


async def import_with_seed(
    session: AsyncSession, raw: bytes | str, *, seed: bool = True
) -> tuple[ImportReport | None, ImportReport]:
    """Import a file; into an empty store (unless seed=False) the seed goes in first.

    One transaction: a refused file leaves the store as empty as it was. Returns the seed's
    report (None when it was not loaded) and the file's.
    """
    seeded: ImportReport | None = None
    if seed and await store_is_empty(session):
        seed_file = parse_items(await asyncio.to_thread(SEED_FILE.read_bytes))
        assert seed_file.dataset is not None and not seed_file.problems, seed_file.problems
        seeded = await import_dataset(session, seed_file.dataset, commit=False)
        if not seeded.ok:
            return seeded, ImportReport(errors=["the seed could not be loaded"])
    return seeded, await import_bytes(session, raw)


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
        others = await stored_alternatives(session, kind=spec.kind)
        texts = await stored_translations(session, kind=spec.kind)
        items = []
        for row, fields in zip(rows, own, strict=True):
            common: dict[str, Any] = {
                "key": row.key or f"{spec.kind.value}-{row.id}",
                "sources": citations.get((spec.kind.value, row.id), []),
                "created_at": row.created_at,
                **export_day(row),
                **_export_when(row),
            }
            if others.get(row.id):
                common["alternatives"] = [
                    {"field": a.field, "value": a.value, "source": source_key[a.source_id]}
                    for a in others[row.id]
                ]
            if row.language and row.language != "en":
                common["language"] = row.language
            if texts.get(row.id):
                common["translations"] = nested(texts[row.id])
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


def _export_when(row: Any) -> dict[str, Any]:
    """A row's date precision in the import format (nothing for an exact day)."""
    found: dict[str, Any] = {}
    if row.date_precision and row.date_precision != "day":
        found["date_precision"] = row.date_precision
    if row.date_precision == "range":
        found["date_until"] = row.date_until
    if row.date_approx:
        found["date_approx"] = True
    return found


def dump_dataset(dataset: DatasetBase) -> str:
    """The dataset as pretty JSON text."""
    return dataset.model_dump_json(indent=2, exclude_none=True) + "\n"
