"""Public fact ids (U12, P3, X7, R2, D1) and audit snapshots of any kind of fact."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.base import FactKind
from kinds.registry import BY_LETTER, spec_for
from store.alternatives import alternatives_for
from store.queries import sources_for
from store.translations import nested, translations_for
from store.views import SourceRef

# The largest id an integer column holds (PostgreSQL refuses a larger one in a query).
MAX_FACT_ID = 2**31 - 1
SNAPSHOT_CHUNK = 500  # facts per statement when snapshotting many (an import's)


def fact_ref(kind: FactKind | str, fact_id: int) -> str:
    """The public id of a fact, e.g. 'U12'."""
    return spec_for(kind).ref(fact_id)


def parse_fact_ref(text: str) -> tuple[FactKind, int] | None:
    """Read a public id such as 'U12' or 'u12'; None when it is not one."""
    text = text.strip().lstrip("#")
    if len(text) < 2 or len(text) > 12 or not (text[1:].isascii() and text[1:].isdigit()):
        return None
    spec = BY_LETTER.get(text[0].upper())
    number = int(text[1:])
    if spec is None or number <= 0 or number > MAX_FACT_ID:
        return None
    return spec.kind, number


def _iso(value: Any) -> Any:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


async def snapshot(
    session: AsyncSession, *, kind: FactKind, fact_id: int, bare: bool = False
) -> dict[str, Any] | None:
    """Everything a fact says, as plain JSON-able data (retracted facts included).

    `bare`: the caller knows the fact has no other sources' values and no translations (a fact
    an import just added without them), so they are not read back.
    """
    spec = spec_for(kind)
    row: Any = await session.get(spec.table, fact_id)
    if row is None:
        return None
    refs = (await sources_for(session, kind=kind, fact_ids=[fact_id])).get(fact_id, ())
    return await _snapshot_of(session, kind, row, refs, bare=bare)


async def snapshots(
    session: AsyncSession,
    facts: Sequence[tuple[FactKind, int]],
    *,
    bare: Collection[tuple[FactKind, int]] = (),
) -> list[dict[str, Any] | None]:
    """The snapshots of many facts (an import's), in their order: each kind's rows and sources
    read in chunks, not two statements per fact; `bare` as for `snapshot`."""
    found: dict[tuple[FactKind, int], dict[str, Any] | None] = {}
    by_kind: dict[FactKind, list[int]] = {}
    for kind, fact_id in facts:
        by_kind.setdefault(kind, []).append(fact_id)
    for kind, ids in by_kind.items():
        table: Any = spec_for(kind).table
        for start in range(0, len(ids), SNAPSHOT_CHUNK):
            chunk = ids[start : start + SNAPSHOT_CHUNK]
            rows = await session.exec(select(table).where(col(table.id).in_(chunk)))
            by_id = {row.id: row for row in rows}
            refs = await sources_for(session, kind=kind, fact_ids=chunk)
            for fact_id in chunk:
                row = by_id.get(fact_id)
                found[(kind, fact_id)] = (
                    None
                    if row is None
                    else await _snapshot_of(
                        session, kind, row, refs.get(fact_id, ()), bare=(kind, fact_id) in bare
                    )
                )
    return [found[fact] for fact in facts]


async def _snapshot_of(
    session: AsyncSession, kind: FactKind, row: Any, refs: Sequence[SourceRef], *, bare: bool
) -> dict[str, Any]:
    spec = spec_for(kind)
    fact_id = row.id
    skip = {"id", "created_at", "updated_at", "key"}
    dumped = row.model_dump()
    # In the table's field order, however the row was loaded (its attributes' order varies).
    data = {
        k: dumped[k] for k in [*type(row).model_fields, *dumped] if k in dumped and k not in skip
    }
    if not data.get("lead"):
        data.pop("lead", None)  # only the lead story says so
    if data.get("date_precision") == "day":  # exact days, as every fact was before precision
        del data["date_precision"]
    if not data.get("date_approx"):
        data.pop("date_approx", None)
    if data.get("language") == "en":  # the original language, when it is not English
        del data["language"]
    await spec.snapshot(session, row, data)
    data["alternatives"] = [
        {
            "field": a.field,
            "value": a.value,
            "source": {
                k: _iso(v)
                for k, v in (
                    ("name", a.source.name),
                    ("url", a.source.url),
                    ("published", a.source.published),
                )
                if v
            },
        }
        for a in (() if bare else await alternatives_for(session, kind=kind, fact_id=fact_id))
    ]
    if not bare:
        data["translations"] = nested(await translations_for(session, kind=kind, fact_id=fact_id))
    data["sources"] = [
        {k: _iso(v) for k, v in (("name", s.name), ("url", s.url), ("published", s.published)) if v}
        for s in refs
    ]
    return {k: _iso(v) for k, v in data.items() if v not in (None, "", [], {})}
