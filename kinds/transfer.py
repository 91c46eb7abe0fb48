"""Import: a validated file written in one transaction, all of it or nothing and the reasons."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import _, ngettext
from kinds.audit import snapshots
from kinds.base import FactKind, Refs, suggest
from kinds.dataset import DatasetBase, item_label, section_of
from kinds.dataset_checks import parse_items
from kinds.queries import count_facts
from kinds.registry import SPECS
from kinds.sources import Sources
from kinds.writes import add_fact, existing_keys, load_refs, referable_facts
from store.audit import Actor, record_audit
from store.models import Issue, Party
from store.queries import parties_and_issues
from store.transfer import SEED_FILE, PartyIn, SourceIn


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
            return ngettext(
                "Import refused: {n} problem; nothing was written.",
                "Import refused: {n} problems; nothing was written.",
                len(self.errors),
            ).format(n=len(self.errors))
        made = ", ".join(f"{n} {k}" for k, n in self.created.items() if n) or _("nothing new")
        kept = sum(self.skipped.values())
        if kept:
            return _("Imported {made}; {kept} already present, skipped.").format(
                made=made, kept=kept
            )
        return _("Imported {made}.").format(made=made)


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
    refs.facts.update(await referable_facts(session))
    return refs


async def _resolve(
    sources: Sources,
    label: str,
    refs: list[str | SourceIn],
    report: ImportReport,
    refused: set[str],
) -> list[int]:
    """The ids of a fact's sources (keys or written out); an unknown key is a problem noted."""
    ids = []
    for ref in refs:
        if isinstance(ref, SourceIn):
            ids.append(await sources.source_id(ref))
            continue
        sid = await sources.by_key(ref)
        if sid is not None:
            ids.append(sid)
        elif f"source:{ref}" not in refused:
            hint = suggest(ref, dict.fromkeys(sources.ids))
            tail = f" — did you mean {hint}?" if hint else " (declare it under sources)"
            report.errors.append(f"{label}: sources: unknown source {ref!r}{tail}")
    return ids


async def _write(
    session: AsyncSession,
    ds: DatasetBase,
    report: ImportReport,
    refused: set[str],
    indices: dict[str, list[int]],
) -> None:
    refs = await _write_named(session, ds, report, refused)
    sources = Sources(session, on_create=lambda: _bump(report.created, "sources"))
    await sources.declare(ds.sources)
    for spec in SPECS:
        at = indices.get(spec.section)
        items = section_of(ds, spec)
        # One query per kind for the keys already stored (an import may bring thousands).
        stored = await existing_keys(session, spec.table, [i.key for i in items if i.key])
        for i, item in enumerate(items):
            label = item_label(spec.section, at[i] if at else i, item)
            if item.key is not None and item.key in stored:
                _bump(report.skipped, spec.section)
                continue
            source_ids = await _resolve(sources, label, item.sources, report, refused)
            alternative_ids = [
                sid
                for alt in item.alternatives or ()
                for sid in await _resolve(
                    sources, f"{label}: alternatives", [alt.source], report, refused
                )
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
            spec.new_row(
                spec.input.model_construct(**fields), refs, item_label(section, index, raw)
            )
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
