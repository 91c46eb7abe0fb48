"""Editors' drafts: previewed changes kept until Save or Cancel (the edits: kinds/editing.py)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Draft, DraftStatus

# ---------------------------------------------------------------- drafts


async def create_draft(
    session: AsyncSession,
    *,
    actor_id: int,
    chat_id: int,
    action: str,
    kind: str,
    payload: dict[str, Any],
    fact_id: int | None = None,
) -> Draft:
    """Store a previewed change until the editor saves or cancels it."""
    draft = Draft(
        actor_id=actor_id,
        chat_id=chat_id,
        action=action,
        fact_kind=str(kind),
        fact_id=fact_id,
        payload=json.dumps(payload, ensure_ascii=False, default=str),
    )
    session.add(draft)
    await session.commit()
    return draft


async def get_draft(session: AsyncSession, *, draft_id: int) -> Draft | None:
    """A draft by id."""
    return await session.get(Draft, draft_id)


async def replace_draft_payload(
    session: AsyncSession, *, draft_id: int, payload: dict[str, Any]
) -> bool:
    """Swap in a corrected payload; False when the draft is no longer pending."""
    result = await session.exec(
        update(Draft)
        .where(col(Draft.id) == draft_id, col(Draft.status) == DraftStatus.PENDING.value)
        .values(payload=json.dumps(payload, ensure_ascii=False, default=str))
    )
    await session.commit()
    return bool(result.rowcount)


async def claim_draft(session: AsyncSession, *, draft_id: int, status: DraftStatus) -> bool:
    """Move a pending draft to `status` inside the caller's transaction; False if already done.

    The conditional UPDATE is what makes a double-pressed Save write once, even across replicas.
    """
    result = await session.exec(
        update(Draft)
        .where(col(Draft.id) == draft_id, col(Draft.status) == DraftStatus.PENDING.value)
        .values(status=status.value)
    )
    return bool(result.rowcount)


async def set_draft_result(session: AsyncSession, *, draft_id: int, result_id: int) -> None:
    """Remember which fact a saved draft produced (inside the caller's transaction)."""
    await session.exec(update(Draft).where(col(Draft.id) == draft_id).values(result_id=result_id))
