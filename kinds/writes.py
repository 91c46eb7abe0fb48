"""Writes any kind shares: insert a fact with its citations and search text, resolve references."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.search_words import date_words, ordinal_words
from kinds.base import FactKind, Refs
from kinds.day_order import set_day
from kinds.extras import alternative_words, apply_when
from kinds.registry import SPECS, AnySpec
from kinds.translations import translation_problems
from store.alternatives import set_alternatives
from store.facts import cite, drop_search_doc, set_search_doc
from store.models import FactAlternative, FactTranslation, Issue, Party
from store.transfer import RetractionIn
from store.translations import set_translations


async def load_refs(session: AsyncSession) -> Refs:
    """Every party, issue and fact a fact may name, by key (facts also by public id, R12)."""
    parties = (await session.exec(select(Party))).all()
    issues = (await session.exec(select(Issue))).all()
    return Refs(
        parties={p.key: p for p in parties},
        issues={i.key: i for i in issues},
        facts=await referable_facts(session),
    )


async def referable_facts(session: AsyncSession) -> dict[FactKind, dict[str, int]]:
    """Of each kind other facts may name: every fact's id by key, live ones' by public id (R12).

    A public id wins over a key spelled like one; keys still find a retracted fact, so an
    export that points at one imports whole.
    """
    found: dict[FactKind, dict[str, int]] = {}
    for spec in SPECS:
        if not spec.referable:
            continue
        model: Any = spec.table
        rows = (await session.exec(select(model.id, model.key, model.retracted_at))).all()
        by_key = {key: fid for fid, key, _ in rows if key and fid is not None}
        by_ref = {spec.ref(fid): fid for fid, _, gone in rows if fid is not None and gone is None}
        found[spec.kind] = {**by_key, **by_ref}
    return found


async def index_fact(
    session: AsyncSession, spec: AnySpec, row: Any, *, extra: Sequence[str] | None = None
) -> None:
    """Create or refresh the search document of a live fact (after flush, so it has an id).

    `extra`: for a fact just added, the other sources' values and the translations it was given
    (nothing to read back from the store).
    """
    body = await spec.search_text(session, row)
    day = spec.fact_date(row)
    if extra is not None:
        words: list[str] = list(extra)
    else:
        # Other sources' values are found too ("a little over an hour").
        others = await session.exec(
            select(FactAlternative.field, FactAlternative.value).where(
                FactAlternative.fact_kind == spec.kind.value, FactAlternative.fact_id == row.id
            )
        )
        # And by the words of any of its languages ("обмін полоненими").
        texts = await session.exec(
            select(FactTranslation.text)
            .where(FactTranslation.fact_kind == spec.kind.value, FactTranslation.fact_id == row.id)
            .order_by(col(FactTranslation.id))
        )
        words = [*(alternative_words(name, value) for name, value in others), *texts]
    # Readers search by date ("2 June") and ordinal ("round 3") too (core/search_words.py).
    body = " ".join(filter(None, [body, *words, date_words(day), ordinal_words(body)]))
    await set_search_doc(session, kind=spec.kind, fact_id=row.id, fact_date=day, body=body)


async def add_fact(
    session: AsyncSession,
    spec: AnySpec,
    item: Any,
    *,
    refs: Refs,
    source_ids: Sequence[int] = (),
    alternative_source_ids: Sequence[int] = (),
    label: str = "",
) -> Any | None:
    """Insert a fact, its citations, what hangs off it and its search text; None if refused.

    `alternative_source_ids` are the sources of `item.alternatives`, in order. A refusal (an
    unknown party, issue or round) is noted in `refs.errors` under `label`.
    """
    problems = translation_problems(spec, item, label or spec.noun)
    if problems:
        refs.errors += problems
        return None
    row = spec.new_row(item, refs, label or spec.noun)
    if row is None:
        return None
    row.key = item.key
    row.language = item.language or "en"
    set_day(row, item)
    apply_when(row, item)
    if item.created_at is not None:
        row.created_at = row.updated_at = item.created_at
    session.add(row)
    await session.flush()
    assert row.id is not None
    await cite(session, kind=spec.kind, fact_id=row.id, source_ids=source_ids)
    others = alternative_values(item, alternative_source_ids)
    texts = item.translations or {}
    # A new fact has nothing to replace: only what it brings is written (imports add thousands).
    if others:
        await set_alternatives(session, kind=spec.kind, fact_id=row.id, values=others)
    if texts:
        await set_translations(session, kind=spec.kind, fact_id=row.id, texts=texts)
    await spec.after_insert(session, row, item, refs)
    if spec.referable:  # later items of the same import may name it
        refs.add_fact(spec.kind, row.id, spec.ref(row.id), item.key)
    words = [alternative_words(name, value) for name, value, _sid in others]
    words += [text for fields in texts.values() for text in fields.values() if text.strip()]
    await index_fact(session, spec, row, extra=words)
    await spec.after_change(session, row)
    if item.retracted is not None:
        await apply_retraction(session, spec, row, item.retracted)
    return row


async def apply_retraction(
    session: AsyncSession, spec: AnySpec, row: Any, retracted: RetractionIn
) -> None:
    """Mark an imported fact retracted as its file says (hidden from search and lists)."""
    at = retracted.at if retracted.at.tzinfo else retracted.at.replace(tzinfo=dt.UTC)
    row.retracted_at = at
    row.retraction_reason = retracted.reason
    session.add(row)
    await session.flush()
    await drop_search_doc(session, kind=spec.kind, fact_id=row.id)
    await spec.after_change(session, row)


async def existing_keys(session: AsyncSession, model: Any, keys: Sequence[str]) -> dict[str, Any]:
    """Rows of `model` whose key is among `keys`, by key."""
    found: dict[str, Any] = {}
    wanted = list(dict.fromkeys(keys))
    for at in range(0, len(wanted), 1000):  # bound the statement's parameters (SQLite)
        chunk = wanted[at : at + 1000]
        rows: Sequence[Any] = (
            await session.exec(select(model).where(col(model.key).in_(chunk)))
        ).all()
        found |= {r.key: r for r in rows}
    return found


def alternative_values(item: Any, source_ids: Sequence[int]) -> list[tuple[str, str, int]]:
    """(field, value, source id) of an item's alternatives, given their sources' ids in order."""
    return [
        (alt.field, alt.value, sid)
        for alt, sid in zip(item.alternatives or (), source_ids, strict=True)
    ]
