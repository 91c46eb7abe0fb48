"""The audit log: snapshots of facts, and who changed what, when, from what to what."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.facts import split_list
from store.models import FACT_TABLES, AuditEntry, ExchangeCount, FactKind, Issue, Party
from store.queries import sources_for

# Short public ids: U12 is update 12, P3 position 3, X7 exchange 7, R2 round 2.
KIND_LETTERS: dict[FactKind, str] = {
    FactKind.UPDATE: "U",
    FactKind.POSITION: "P",
    FactKind.EXCHANGE: "X",
    FactKind.ROUND: "R",
}
_LETTER_KINDS = {v: k for k, v in KIND_LETTERS.items()}


def fact_ref(kind: FactKind, fact_id: int) -> str:
    """The public id of a fact, e.g. 'U12'."""
    return f"{KIND_LETTERS[kind]}{fact_id}"


def parse_fact_ref(text: str) -> tuple[FactKind, int] | None:
    """Read a public id such as 'U12' or 'u12'; None when it is not one."""
    text = text.strip().lstrip("#")
    if len(text) < 2 or len(text) > 12 or not (text[1:].isascii() and text[1:].isdigit()):
        return None
    kind = _LETTER_KINDS.get(text[0].upper())
    number = int(text[1:])
    if kind is None or number <= 0 or number > 2**31:
        return None
    return kind, number


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a Telegram user (id and display name) or a named system process."""

    id: int | None
    name: str


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


async def snapshot(session: AsyncSession, *, kind: FactKind, fact_id: int) -> dict[str, Any] | None:
    """Everything a fact says, as plain JSON-able data (retracted facts included)."""
    row: Any = await session.get(FACT_TABLES[kind], fact_id)
    if row is None:
        return None
    skip = {"id", "created_at", "updated_at", "key"}
    data = {k: _iso(v) for k, v in row.model_dump().items() if k not in skip}
    if kind is FactKind.POSITION:
        party = await session.get(Party, row.party_id)
        issue = await session.get(Issue, row.issue_id)
        data["party"] = party.name if party else None
        data["issue"] = issue.name if issue else None
        for name in ("party_id", "issue_id"):
            data.pop(name, None)
    if kind is FactKind.EXCHANGE:
        counts = await session.exec(
            select(Party.name, ExchangeCount.returned)
            .join(ExchangeCount, col(ExchangeCount.party_id) == col(Party.id))
            .where(ExchangeCount.exchange_id == fact_id)
            .order_by(col(ExchangeCount.id))
        )
        data["returned"] = {name: n for name, n in counts}
        data["categories"] = list(split_list(row.categories))
    if kind is FactKind.UPDATE:
        data["tags"] = list(split_list(row.tags))
    if kind is FactKind.ROUND:
        data["delegations"] = json.loads(row.delegations or "[]")
    refs = (await sources_for(session, kind=kind, fact_ids=[fact_id])).get(fact_id, ())
    data["sources"] = [
        {k: _iso(v) for k, v in (("name", s.name), ("url", s.url), ("published", s.published)) if v}
        for s in refs
    ]
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


async def record_audit(
    session: AsyncSession,
    *,
    actor: Actor | None,
    action: str,
    kind: FactKind,
    fact_id: int,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """Append one entry to the audit log (in the caller's transaction)."""
    session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            actor_name=actor.name if actor else "system",
            action=action,
            fact_kind=kind.value,
            fact_id=fact_id,
            before=None if before is None else json.dumps(before, ensure_ascii=False),
            after=None if after is None else json.dumps(after, ensure_ascii=False),
            note=note,
        )
    )


async def fact_history(session: AsyncSession, *, kind: FactKind, fact_id: int) -> list[AuditEntry]:
    """Every audit entry of one fact, oldest first."""
    rows = await session.exec(
        select(AuditEntry)
        .where(AuditEntry.fact_kind == kind.value, AuditEntry.fact_id == fact_id)
        .order_by(col(AuditEntry.id))
    )
    return list(rows.all())
