"""Public fact ids (U12, P3, X7, R2, D1) and audit snapshots of any kind of fact."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.base import FactKind
from kinds.registry import BY_LETTER, spec_for
from store.alternatives import alternatives_for
from store.queries import sources_for
from store.translations import nested, translations_for

# The largest id an integer column holds (PostgreSQL refuses a larger one in a query).
MAX_FACT_ID = 2**31 - 1


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
    skip = {"id", "created_at", "updated_at", "key"}
    data = {k: v for k, v in row.model_dump().items() if k not in skip}
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
    refs = (await sources_for(session, kind=kind, fact_ids=[fact_id])).get(fact_id, ())
    data["sources"] = [
        {k: _iso(v) for k, v in (("name", s.name), ("url", s.url), ("published", s.published)) if v}
        for s in refs
    ]
    return {k: _iso(v) for k, v in data.items() if v not in (None, "", [], {})}
