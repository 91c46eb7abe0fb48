"""Translations of facts' text fields into the readers' languages (one table for every kind)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import FactTranslation
from store.queries import json_rows

# (language, field, text), sorted: hashable, so views stay frozen values.
Texts = tuple[tuple[str, str, str], ...]


class json_pair(FunctionElement[Any]):
    """A JSON array of two JSON values (e.g. two `json_rows` subqueries read as one column)."""

    inherit_cache = True


@compiles(json_pair, "sqlite")
def _json_pair_sqlite(element: json_pair, compiler: Any, **kw: Any) -> str:
    first, second = (compiler.process(c, **kw) for c in element.clauses)
    return f"json_array(json({first}), json({second}))"


@compiles(json_pair, "postgresql")
def _json_pair_postgresql(element: json_pair, compiler: Any, **kw: Any) -> str:
    return f"json_build_array({compiler.process(element.clauses, **kw)})"


def translations_column(kind: str, fact_id: Any) -> Any:
    """A correlated subquery: the fact's translations as JSON, read with the fact."""
    return (
        select(json_rows(FactTranslation.language, FactTranslation.field, FactTranslation.text))
        .select_from(FactTranslation)
        .where(FactTranslation.fact_kind == str(kind), FactTranslation.fact_id == fact_id)
        .scalar_subquery()
    )


def parse_translations(raw: Any) -> Texts:
    """The (language, field, text) triples of a `translations_column` value."""
    items = json.loads(raw) if isinstance(raw, str | bytes) else (raw or [])
    return tuple(sorted((str(lang), str(name), str(text)) for lang, name, text in items))


def nested(texts: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    """Triples as the import format's map: {"uk": {"headline": "…"}}."""
    found: dict[str, dict[str, str]] = {}
    for lang, name, text in sorted(texts):
        found.setdefault(lang, {})[name] = text
    return found


async def translations_for(session: AsyncSession, *, kind: str, fact_id: int) -> Texts:
    """The translations of one fact."""
    raw = (await session.exec(select(translations_column(kind, fact_id)))).first()
    return parse_translations(raw)


async def stored_translations(session: AsyncSession, *, kind: str) -> dict[int, Texts]:
    """Every translation of one kind, by fact id (for export)."""
    rows = await session.exec(
        select(FactTranslation)
        .where(FactTranslation.fact_kind == str(kind))
        .order_by(col(FactTranslation.id))
    )
    found: dict[int, list[tuple[str, str, str]]] = {}
    for row in rows:
        found.setdefault(row.fact_id, []).append((row.language, row.field, row.text))
    return {fact_id: tuple(sorted(texts)) for fact_id, texts in found.items()}


async def set_translations(
    session: AsyncSession,
    *,
    kind: str,
    fact_id: int,
    texts: Mapping[str, Mapping[str, str]],
) -> None:
    """Replace a fact's translations with {language: {field: text}} (empty texts are left out)."""
    await session.exec(
        delete(FactTranslation).where(
            col(FactTranslation.fact_kind) == str(kind), col(FactTranslation.fact_id) == fact_id
        )
    )
    for lang, fields in texts.items():
        for name, text in fields.items():
            if text.strip():
                session.add(
                    FactTranslation(
                        fact_kind=str(kind),
                        fact_id=fact_id,
                        field=name,
                        language=lang,
                        text=text.strip(),
                    )
                )


def untranslated(kind: str, fact_id: Any, language: str) -> Any:
    """A condition: the fact has no translation into `language`."""
    return ~(
        select(FactTranslation.id)
        .where(
            FactTranslation.fact_kind == str(kind),
            FactTranslation.fact_id == fact_id,
            FactTranslation.language == language,
        )
        .exists()
    )


def search_words(texts: Sequence[tuple[str, str, str]]) -> str:
    """The words of every translation, for the search text."""
    return " ".join(text for _lang, _field, text in texts)
