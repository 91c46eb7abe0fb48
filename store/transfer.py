"""Bulk import and export of facts in the documented JSON format (docs/data-format.md)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store import facts as writes
from store.audit import Actor, record_audit, snapshot
from store.facts import split_list
from store.models import (
    Citation,
    Exchange,
    ExchangeCount,
    FactBase,
    FactKind,
    Issue,
    NewsUpdate,
    Party,
    Position,
    Source,
    TalkRound,
)

FORMAT = "peace-briefing/1"
SEED_FILE = Path(__file__).with_name("seed") / "seed.json"


def _check_url(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError("must be an http(s) link such as https://example.org/article")
    return value


Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Long = Annotated[str, StringConstraints(strip_whitespace=True, max_length=3000)]
Url = Annotated[str | None, AfterValidator(_check_url)]
# Every number in a file must fit the database's integer columns (a count of 10^30 does not).
MAX_INT = 2**31 - 1
NonNegativeInt = Annotated[int, Field(ge=0, le=MAX_INT)]
# Real files nest four levels; the limit is checked before parsing, so deep files cannot
# exhaust the parser's recursion.
MAX_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyIn(_In):
    """A party as the file declares it."""

    key: Key
    name: Name
    aliases: list[Name] = []


class IssueIn(PartyIn):
    """An issue as the file declares it."""


class SourceIn(_In):
    """A source, declared once with a key or given inline on a fact."""

    key: Key | None = None
    name: Name
    title: Long | None = None
    url: Url = None
    published: dt.date | None = None


class RetractionIn(_In):
    """When and why a fact was retracted."""

    at: dt.datetime
    reason: Long


class FactIn(_In):
    """Fields every fact shares."""

    key: Key | None = None
    sources: list[Key | SourceIn] = []
    retracted: RetractionIn | None = None
    created_at: dt.datetime | None = None


class DelegationIn(_In):
    """One party's delegation head at a round (None when the source does not name one)."""

    party: Name
    head: Name | None = None


class RoundIn(FactIn):
    """A round of talks."""

    date: dt.date
    end_date: dt.date | None = None
    title: Short = ""
    place: Name
    venue: Short | None = None
    mediator: Short | None = None
    delegations: list[DelegationIn] = []
    duration: Short | None = None
    duration_minutes: NonNegativeInt | None = None
    outcome: Long = ""


class UpdateIn(FactIn):
    """A news update."""

    date: dt.date
    headline: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    summary: Long = ""
    tags: list[Name] = []
    round: Key | None = None


class PositionIn(FactIn):
    """A party's stance on an issue."""

    party: Key
    issue: Key
    stance: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3000)]
    as_of: dt.date


class ExchangeIn(FactIn):
    """A prisoner exchange."""

    date: dt.date
    end_date: dt.date | None = None
    returned: dict[Key, NonNegativeInt | None] = {}
    categories: list[Name] = []
    mediator: Short | None = None
    status: Literal["agreed", "completed"] = "completed"
    round: Key | None = None
    note: Long | None = None


AnyFactIn = UpdateIn | PositionIn | ExchangeIn | RoundIn
FACT_INPUTS: dict[FactKind, type[AnyFactIn]] = {
    FactKind.UPDATE: UpdateIn,
    FactKind.POSITION: PositionIn,
    FactKind.EXCHANGE: ExchangeIn,
    FactKind.ROUND: RoundIn,
}


class Dataset(_In):
    """A whole import or export file."""

    format: Literal["peace-briefing/1"] = "peace-briefing/1"
    title: str | None = None
    exported_at: dt.datetime | None = None
    parties: list[PartyIn] = []
    issues: list[IssueIn] = []
    sources: list[SourceIn] = []
    rounds: list[RoundIn] = []
    updates: list[UpdateIn] = []
    positions: list[PositionIn] = []
    exchanges: list[ExchangeIn] = []


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


def _too_deep(raw: bytes) -> bool:
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub(b"", raw)):
        depth += 1 if bracket.group() in (b"[", b"{") else -1
        if depth > MAX_DEPTH:
            return True
    return False


def _duplicate_keys(dataset: Dataset) -> list[str]:
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


def parse_dataset(raw: bytes | str) -> tuple[Dataset | None, list[str]]:
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


async def _existing_keys(session: AsyncSession, model: Any, keys: Sequence[str]) -> dict[str, Any]:
    if not keys:
        return {}
    rows: Sequence[Any] = (
        await session.exec(select(model).where(col(model.key).in_(list(keys))))
    ).all()
    return {r.key: r for r in rows}


async def import_dataset(
    session: AsyncSession,
    dataset: Dataset,
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


async def _write(session: AsyncSession, ds: Dataset, report: ImportReport) -> None:
    errors = report.errors

    def bump(counter: dict[str, int], what: str) -> None:
        counter[what] = counter.get(what, 0) + 1

    # Parties and issues: existing keys are kept as they are.
    named: dict[str, dict[str, Any]] = {}
    for section, model, items in (
        ("parties", Party, ds.parties),
        ("issues", Issue, ds.issues),
    ):
        known = await _existing_keys(session, model, [i.key for i in items])
        stored: Sequence[Any] = (await session.exec(select(model))).all()
        all_rows = {r.key: r for r in stored}
        for item in items:
            if item.key in known:
                bump(report.skipped, section)
                continue
            row = model(
                key=item.key, name=item.name, aliases=", ".join(a.lower() for a in item.aliases)
            )
            session.add(row)
            all_rows[item.key] = row
            bump(report.created, section)
        named[section] = all_rows
    await session.flush()

    # Sources: by key when given, else by (name, url, published).
    source_ids: dict[str, int] = {}
    known_sources = await _existing_keys(session, Source, [s.key for s in ds.sources if s.key])

    async def source_id(src: SourceIn) -> int:
        if src.key and src.key in source_ids:
            return source_ids[src.key]
        if src.key and src.key in known_sources:
            sid: int | None = known_sources[src.key].id
        else:
            found = (
                await session.exec(
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
                session.add(row)
                await session.flush()
                sid = row.id
                bump(report.created, "sources")
        assert sid is not None
        if src.key:
            source_ids[src.key] = sid
        return sid

    for src in ds.sources:
        await source_id(src)

    async def resolve_sources(label: str, refs: list[str | SourceIn]) -> list[int]:
        ids = []
        for ref in refs:
            if isinstance(ref, SourceIn):
                ids.append(await source_id(ref))
            elif ref in source_ids:
                ids.append(source_ids[ref])
            else:
                row = (await session.exec(select(Source).where(Source.key == ref))).first()
                if row is None or row.id is None:
                    errors.append(f"{label}: unknown source {ref!r} (declare it under sources)")
                else:
                    source_ids[ref] = row.id
                    ids.append(row.id)
        return ids

    # Rounds first: updates and exchanges may point at them.
    round_ids: dict[str, int] = {
        r.key: r.id
        for r in (await session.exec(select(TalkRound).where(col(TalkRound.key).is_not(None))))
        if r.key and r.id
    }

    def resolve_round(label: str, key: str | None) -> int | None:
        if key is None:
            return None
        if key not in round_ids:
            errors.append(f"{label}: unknown round {key!r}")
            return None
        return round_ids[key]

    def resolve_named(label: str, section: str, key: str) -> Any:
        row = named[section].get(key)
        if row is None:
            errors.append(f"{label}: unknown {section[:-1].replace('ie', 'y')} {key!r}")
        return row

    async def already(model: Any, key: str | None) -> bool:
        return key is not None and bool(await _existing_keys(session, model, [key]))

    for i, rnd in enumerate(ds.rounds):
        label = _label("rounds", i, rnd)
        if await already(TalkRound, rnd.key):
            bump(report.skipped, "rounds")
            continue
        srcs = await resolve_sources(label, rnd.sources)
        created = await writes.create_round(
            session,
            key=rnd.key,
            date=rnd.date,
            end_date=rnd.end_date,
            title=rnd.title,
            place=rnd.place,
            venue=rnd.venue,
            mediator=rnd.mediator,
            delegations=[
                (named["parties"][d.party].name if d.party in named["parties"] else d.party, d.head)
                for d in rnd.delegations
            ],
            duration=rnd.duration,
            duration_minutes=rnd.duration_minutes,
            outcome=rnd.outcome,
            source_ids=srcs,
            created_at=rnd.created_at,
        )
        assert created.id is not None
        if rnd.key:
            round_ids[rnd.key] = created.id
        await _apply_retraction(session, FactKind.ROUND, created, rnd.retracted)
        bump(report.created, "rounds")
        report.facts.append((FactKind.ROUND, _id(created)))

    for i, upd in enumerate(ds.updates):
        label = _label("updates", i, upd)
        if await already(NewsUpdate, upd.key):
            bump(report.skipped, "updates")
            continue
        created_u = await writes.create_update(
            session,
            key=upd.key,
            date=upd.date,
            headline=upd.headline,
            summary=upd.summary,
            tags=upd.tags,
            round_id=resolve_round(label, upd.round),
            source_ids=await resolve_sources(label, upd.sources),
            created_at=upd.created_at,
        )
        await _apply_retraction(session, FactKind.UPDATE, created_u, upd.retracted)
        bump(report.created, "updates")
        report.facts.append((FactKind.UPDATE, _id(created_u)))

    for i, pos in enumerate(ds.positions):
        label = _label("positions", i, pos)
        if await already(Position, pos.key):
            bump(report.skipped, "positions")
            continue
        party = resolve_named(label, "parties", pos.party)
        issue = resolve_named(label, "issues", pos.issue)
        srcs = await resolve_sources(label, pos.sources)
        if party is None or issue is None:
            continue
        created_p = await writes.create_position(
            session,
            key=pos.key,
            party=party,
            issue=issue,
            stance=pos.stance,
            as_of=pos.as_of,
            source_ids=srcs,
            created_at=pos.created_at,
        )
        if pos.retracted is not None:
            await _apply_retraction(session, FactKind.POSITION, created_p, pos.retracted)
            await writes.relink_positions(session, party_id=party.id, issue_id=issue.id)
        bump(report.created, "positions")
        report.facts.append((FactKind.POSITION, _id(created_p)))

    for i, ex in enumerate(ds.exchanges):
        label = _label("exchanges", i, ex)
        if await already(Exchange, ex.key):
            bump(report.skipped, "exchanges")
            continue
        parties = [(resolve_named(label, "parties", k), n) for k, n in ex.returned.items()]
        srcs = await resolve_sources(label, ex.sources)
        round_id = resolve_round(label, ex.round)
        if any(p is None for p, _ in parties):
            continue
        created_x = await writes.create_exchange(
            session,
            key=ex.key,
            date=ex.date,
            end_date=ex.end_date,
            returned=parties,
            status=ex.status,
            categories=ex.categories,
            mediator=ex.mediator,
            round_id=round_id,
            note=ex.note,
            source_ids=srcs,
            created_at=ex.created_at,
        )
        await _apply_retraction(session, FactKind.EXCHANGE, created_x, ex.retracted)
        bump(report.created, "exchanges")
        report.facts.append((FactKind.EXCHANGE, _id(created_x)))


def _id(row: FactBase) -> int:
    fact_id = getattr(row, "id", None)
    assert fact_id is not None
    return int(fact_id)


async def _apply_retraction(
    session: AsyncSession, kind: FactKind, row: FactBase, retracted: RetractionIn | None
) -> None:
    if retracted is None:
        return
    at = retracted.at if retracted.at.tzinfo else retracted.at.replace(tzinfo=dt.UTC)
    row.retracted_at = at
    row.retraction_reason = retracted.reason
    session.add(row)
    fact_id = getattr(row, "id", None)
    assert fact_id is not None
    await writes.drop_search_doc(session, kind=kind, fact_id=fact_id)


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


async def export_dataset(session: AsyncSession, *, title: str | None = None) -> Dataset:
    """Everything in the store, retracted facts included, in the import format."""
    parties = (await session.exec(select(Party).order_by(col(Party.id)))).all()
    issues = (await session.exec(select(Issue).order_by(col(Issue.id)))).all()
    sources = (await session.exec(select(Source).order_by(col(Source.id)))).all()
    source_key = {s.id: s.key or f"source-{s.id}" for s in sources}
    party_key = {p.id: p.key for p in parties}
    issue_key = {i.id: i.key for i in issues}

    citations: dict[tuple[str, int], list[str]] = {}
    for c in (await session.exec(select(Citation).order_by(col(Citation.id)))).all():
        citations.setdefault((c.fact_kind, c.fact_id), []).append(source_key[c.source_id])

    def common(kind: FactKind, row: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key": row.key or f"{kind.value}-{row.id}",
            "sources": citations.get((kind.value, row.id), []),
            "created_at": row.created_at,
        }
        if row.retracted_at is not None:
            out["retracted"] = RetractionIn(at=row.retracted_at, reason=row.retraction_reason or "")
        return out

    rounds = (await session.exec(select(TalkRound).order_by(col(TalkRound.id)))).all()
    round_key = {r.id: r.key or f"round-{r.id}" for r in rounds}
    round_items = [
        RoundIn(
            **common(FactKind.ROUND, r),
            date=r.date,
            end_date=r.end_date,
            title=r.title,
            place=r.place,
            venue=r.venue,
            mediator=r.mediator,
            delegations=[
                DelegationIn(party=d["party"], head=d.get("head") or None)
                for d in json.loads(r.delegations or "[]")
            ],
            duration=r.duration,
            duration_minutes=r.duration_minutes,
            outcome=r.outcome,
        )
        for r in rounds
    ]
    updates = (await session.exec(select(NewsUpdate).order_by(col(NewsUpdate.id)))).all()
    update_items = [
        UpdateIn(
            **common(FactKind.UPDATE, u),
            date=u.date,
            headline=u.headline,
            summary=u.summary,
            tags=list(split_list(u.tags)),
            round=round_key.get(u.round_id) if u.round_id else None,
        )
        for u in updates
    ]
    positions = (await session.exec(select(Position).order_by(col(Position.id)))).all()
    position_items = [
        PositionIn(
            **common(FactKind.POSITION, p),
            party=party_key[p.party_id],
            issue=issue_key[p.issue_id],
            stance=p.stance,
            as_of=p.as_of,
        )
        for p in positions
    ]
    counts: dict[int, dict[str, int | None]] = {}
    for n in (await session.exec(select(ExchangeCount).order_by(col(ExchangeCount.id)))).all():
        counts.setdefault(n.exchange_id, {})[party_key[n.party_id]] = n.returned
    exchanges = (await session.exec(select(Exchange).order_by(col(Exchange.id)))).all()
    exchange_items = [
        ExchangeIn(
            **common(FactKind.EXCHANGE, x),
            date=x.date,
            end_date=x.end_date,
            returned=counts.get(x.id or 0, {}),
            categories=list(split_list(x.categories)),
            mediator=x.mediator,
            status="agreed" if x.status == "agreed" else "completed",
            round=round_key.get(x.round_id) if x.round_id else None,
            note=x.note,
        )
        for x in exchanges
    ]
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
        rounds=round_items,
        updates=update_items,
        positions=position_items,
        exchanges=exchange_items,
    )


def dump_dataset(dataset: Dataset) -> str:
    """The dataset as pretty JSON text."""
    return dataset.model_dump_json(indent=2, exclude_none=True) + "\n"
