"""Alternative values of a fact's fields, each with the source that reports it (any kind)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import FactAlternative, Source
from store.queries import json_rows, parse_sources
from store.translations import Texts, json_pair, parse_translations, translations_column
from store.views import Alternative


def alternatives_column(kind: str, fact_id: Any) -> Any:
    """The fact's alternatives and its translations as one JSON pair, read with the fact.

    Every kind's view reads this one column for what any fact may carry beyond its own fields
    (`parse_alternatives` and `parse_extras` read it back).
    """
    return json_pair(_alternatives_json(kind, fact_id), translations_column(kind, fact_id))


def _alternatives_json(kind: str, fact_id: Any) -> Any:
    return (
        select(
            json_rows(
                FactAlternative.id,
                FactAlternative.field,
                FactAlternative.value,
                Source.name,
                Source.url,
                Source.published,
                Source.title,
            )
        )
        .select_from(FactAlternative)
        .join(Source, col(Source.id) == col(FactAlternative.source_id))
        .where(FactAlternative.fact_kind == str(kind), FactAlternative.fact_id == fact_id)
        .scalar_subquery()
    )


def parse_extras(raw: Any) -> tuple[tuple[Alternative, ...], Texts]:
    """The alternatives and the translations of an `alternatives_column` value."""
    pair = json.loads(raw) if isinstance(raw, str | bytes) else (raw or [None, None])
    return _parse_alternatives(pair[0]), parse_translations(pair[1])


def parse_alternatives(raw: Any) -> tuple[Alternative, ...]:
    """The Alternatives of an `alternatives_column` value, in the order they were stored."""
    return parse_extras(raw)[0]


def _parse_alternatives(raw: Any) -> tuple[Alternative, ...]:
    items = json.loads(raw) if isinstance(raw, str | bytes) else (raw or [])
    found = []
    for alt_id, field, value, *source in sorted(items, key=lambda item: item[0]):
        (ref,) = parse_sources([[alt_id, *source]])
        found.append(Alternative(field=field, value=value, source=ref))
    return tuple(found)


async def alternatives_for(
    session: AsyncSession, *, kind: str, fact_id: int
) -> tuple[Alternative, ...]:
    """The alternatives of one fact, in the order they were stored."""
    raw = (await session.exec(select(alternatives_column(kind, fact_id)))).first()
    return parse_alternatives(raw)


async def stored_alternatives(
    session: AsyncSession, *, kind: str
) -> dict[int, list[FactAlternative]]:
    """Every alternative of one kind, by fact id (for export)."""
    rows = await session.exec(
        select(FactAlternative)
        .where(FactAlternative.fact_kind == str(kind))
        .order_by(col(FactAlternative.id))
    )
    found: dict[int, list[FactAlternative]] = {}
    for row in rows:
        found.setdefault(row.fact_id, []).append(row)
    return found


async def set_alternatives(
    session: AsyncSession,
    *,
    kind: str,
    fact_id: int,
    values: Sequence[tuple[str, str, int]],
) -> None:
    """Replace a fact's alternatives with (field, value, source id) triples."""
    await session.exec(
        delete(FactAlternative).where(
            col(FactAlternative.fact_kind) == str(kind), col(FactAlternative.fact_id) == fact_id
        )
    )
    for field, value, source_id in dict.fromkeys(values):
        session.add(
            FactAlternative(
                fact_kind=str(kind), fact_id=fact_id, field=field, value=value, source_id=source_id
            )
        )
