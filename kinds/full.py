"""One fact in full, of any kind and retracted or not: its fields, sources and history (/show)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.audit import fact_ref, parse_fact_ref, snapshot
from kinds.base import FactKind
from kinds.registry import SPECS, spec_for
from store.audit import fact_history
from store.queries import sources_for
from store.views import SourceRef

# Keys an edit changes that say nothing a reader would call a correction.
_BOOKKEEPING = frozenset({"updated_at", "created_at", "superseded_by_id"})


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One entry of a fact's history as readers see it: added, corrected or retracted."""

    action: str  # create, import, edit or retract (the audit log's actions)
    at: dt.datetime
    changed: tuple[str, ...] = ()  # the snapshot keys a correction changed
    note: str | None = None  # a retraction's reason


@dataclass(frozen=True, slots=True)
class Successor:
    """The newer fact that superseded this one, and the date it is listed under."""

    ref: str
    date: dt.date | None


@dataclass(frozen=True, slots=True)
class FullFact:
    """Everything /show tells about one fact."""

    kind: FactKind
    fact_id: int
    fields: dict[str, Any]  # the audit snapshot: every field, names resolved
    sources: tuple[SourceRef, ...]
    history: tuple[HistoryEvent, ...]
    retracted_at: dt.datetime | None = None
    retraction_reason: str | None = None
    successor: Successor | None = None
    retracted_links: frozenset[str] = frozenset()  # fields naming a fact since retracted

    @property
    def ref(self) -> str:
        """The fact's public id, e.g. 'U12'."""
        return fact_ref(self.kind, self.fact_id)

    @property
    def primary_url(self) -> str | None:
        """The link of the first source that has one (the message's link preview)."""
        return next((s.url for s in self.sources if s.url), None)


def _changed(before: str | None, after: str | None) -> tuple[str, ...]:
    try:
        old, new = json.loads(before or "{}"), json.loads(after or "{}")
    except ValueError:
        return ()
    if not isinstance(old, dict) or not isinstance(new, dict):
        return ()
    keys = dict.fromkeys([*old, *new])
    return tuple(k for k in keys if k not in _BOOKKEEPING and old.get(k) != new.get(k))


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


async def _successor(session: AsyncSession, kind: FactKind, fact_id: Any) -> Successor | None:
    if not isinstance(fact_id, int):
        return None
    snap = await snapshot(session, kind=kind, fact_id=fact_id)
    raw = (snap or {}).get(spec_for(kind).date_attr)
    day = dt.date.fromisoformat(raw[:10]) if isinstance(raw, str) else None
    return Successor(ref=fact_ref(kind, fact_id), date=day)


async def full_fact(session: AsyncSession, *, kind: FactKind, fact_id: int) -> FullFact | None:
    """The fact in full, retracted ones included (marked); None when there is no such fact."""
    snap = await snapshot(session, kind=kind, fact_id=fact_id)
    if snap is None:
        return None
    sources = (await sources_for(session, kind=kind, fact_ids=[fact_id])).get(fact_id, ())
    entries = await fact_history(session, kind=kind, fact_id=fact_id)
    history = tuple(
        HistoryEvent(
            action=e.action,
            at=_aware(e.at),
            changed=_changed(e.before, e.after) if e.action == "edit" else (),
            note=e.note if e.action == "retract" else None,
        )
        for e in entries
    )
    retracted = snap.get("retracted_at")
    retracted_at = _aware(dt.datetime.fromisoformat(retracted)) if retracted else None
    if retracted_at is not None and not any(e.action == "retract" for e in history):
        # An imported fact may arrive retracted, with no retraction of its own in the log.
        reason = snap.get("retraction_reason")
        history += (HistoryEvent(action="retract", at=retracted_at, note=reason),)
    return FullFact(
        kind=kind,
        fact_id=fact_id,
        fields=snap,
        sources=tuple(sources),
        history=history,
        retracted_at=retracted_at,
        retraction_reason=snap.get("retraction_reason"),
        successor=await _successor(session, kind, snap.get("superseded_by_id")),
        retracted_links=await retracted_links(session, snap),
    )


async def retracted_links(session: AsyncSession, snap: Mapping[str, Any]) -> frozenset[str]:
    """The fields of a snapshot that name a fact since retracted (an update's round: "R1 …")."""
    found = set()
    for spec in SPECS:
        value = snap.get(spec.kind.value) if spec.referable else None
        named = parse_fact_ref(value.partition(" ")[0]) if isinstance(value, str) else None
        if named is None or named[0] != spec.kind:
            continue
        row: Any = await session.get(spec.table, named[1])
        if row is not None and row.retracted_at is not None:
            found.add(spec.kind.value)
    return frozenset(found)
