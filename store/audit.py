"""The audit log: who changed which fact, when, from what to what (snapshots: kinds/audit.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import AuditEntry


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a Telegram user (id and display name) or a named system process."""

    id: int | None
    name: str


async def record_audit(
    session: AsyncSession,
    *,
    actor: Actor | None,
    action: str,
    kind: str,
    fact_id: int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> AuditEntry:
    """Append one entry to the audit log (in the caller's transaction); returns it."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else "system",
        action=action,
        fact_kind=str(kind),
        fact_id=fact_id,
        before=None if before is None else json.dumps(before, ensure_ascii=False),
        after=None if after is None else json.dumps(after, ensure_ascii=False),
        note=note,
    )
    session.add(entry)
    return entry


async def fact_history(session: AsyncSession, *, kind: str, fact_id: int) -> list[AuditEntry]:
    """Every audit entry of one fact, oldest first."""
    rows = await session.exec(
        select(AuditEntry)
        .where(AuditEntry.fact_kind == str(kind), AuditEntry.fact_id == fact_id)
        .order_by(col(AuditEntry.id))
    )
    return list(rows.all())


@dataclass(frozen=True, slots=True)
class StoreStamp:
    """The store's newest audit entry: it changes whenever any fact is created or changed."""

    last_id: int = 0
    at: dt.datetime | None = None


async def store_stamp(session: AsyncSession) -> StoreStamp:
    """The newest audit entry's id and time (one primary-key lookup), for caching headers."""
    row = (
        await session.exec(
            select(AuditEntry.id, AuditEntry.at).order_by(col(AuditEntry.id).desc()).limit(1)
        )
    ).first()
    if row is None or row[0] is None:
        return StoreStamp()
    return StoreStamp(last_id=row[0], at=row[1])


async def recent_audit(
    session: AsyncSession, *, actions: Sequence[str], limit: int
) -> list[AuditEntry]:
    """The newest audit entries with one of `actions` (e.g. edit, retract), newest first."""
    rows = await session.exec(
        select(AuditEntry)
        .where(col(AuditEntry.action).in_(list(actions)))
        .order_by(col(AuditEntry.id).desc())
        .limit(limit)
    )
    return list(rows.all())


async def audit_times(
    session: AsyncSession, *, kind: str, fact_ids: Sequence[int]
) -> dict[int, tuple[dt.datetime, dt.datetime]]:
    """When each fact was first written and last changed, by its audit entries."""
    if not fact_ids:
        return {}
    rows = await session.exec(
        select(AuditEntry.fact_id, func.min(AuditEntry.at), func.max(AuditEntry.at))
        .where(AuditEntry.fact_kind == str(kind), col(AuditEntry.fact_id).in_(list(fact_ids)))
        .group_by(col(AuditEntry.fact_id))
    )
    return {fact_id: (first, last) for fact_id, first, last in rows}
