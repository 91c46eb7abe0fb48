"""Export: everything in the store, retracted facts included, in the import format."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.base import ExportKeys
from kinds.dataset import Dataset, DatasetBase
from kinds.day_order import export_day
from kinds.registry import SPECS
from store.alternatives import stored_alternatives
from store.facts import split_list
from store.models import Citation, Issue, Party, Source
from store.transfer import IssueIn, PartyIn, RetractionIn, SourceIn
from store.translations import nested, stored_translations


async def export_dataset(session: AsyncSession, *, title: str | None = None) -> DatasetBase:
    """Everything in the store, retracted facts included, in the import format."""
    parties = (await session.exec(select(Party).order_by(col(Party.id)))).all()
    issues = (await session.exec(select(Issue).order_by(col(Issue.id)))).all()
    sources = (await session.exec(select(Source).order_by(col(Source.id)))).all()
    source_key = {s.id: s.key or f"source-{s.id}" for s in sources}
    keys = ExportKeys(
        parties={p.id: p.key for p in parties if p.id is not None},
        issues={i.id: i.key for i in issues if i.id is not None},
    )
    for spec in SPECS:
        if spec.referable:
            table: Any = spec.table
            named = (await session.exec(select(table.id, table.key))).all()
            keys.facts[spec.kind] = {
                fid: key or f"{spec.kind.value}-{fid}" for fid, key in named if fid is not None
            }
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
