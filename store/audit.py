"""The audit log: who changed which fact, when, from what to what (snapshots: kinds/audit.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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
