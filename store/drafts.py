"""Editors' drafts: previews awaiting Save or Cancel, and each editor's one open form."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Draft, DraftStatus

# A broadcast's preview: a draft that is no fact (its fact_kind is None).
BROADCAST = "broadcast"


class FormAction(StrEnum):
    """What an open form (a draft with status `form`) is collecting."""

    GUIDED = "guided"  # a guided /add, /position, /exchange or /round, field by field
    CORRECT = "correct"  # `field: value` lines for a preview, after its Edit button


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, default=str)


# ---------------------------------------------------------------- previews


async def create_draft(
    session: AsyncSession,
    *,
    actor_id: int,
    chat_id: int,
    action: str,
    kind: str | None,
    payload: dict[str, Any],
    fact_id: int | None = None,
) -> Draft:
    """Store a previewed change until the editor saves or cancels it."""
    draft = Draft(
        actor_id=actor_id,
        chat_id=chat_id,
        action=action,
        fact_kind=str(kind) if kind is not None else None,
        fact_id=fact_id,
        payload=_json(payload),
    )
    session.add(draft)
    await session.commit()
    return draft


async def get_draft(session: AsyncSession, *, draft_id: int) -> Draft | None:
    """A draft by id."""
    return await session.get(Draft, draft_id)


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


# ---------------------------------------------------------------- open forms


async def open_form(
    session: AsyncSession,
    *,
    chat_id: int,
    actor_id: int,
    action: FormAction,
    kind: str,
    payload: dict[str, Any],
    expires_at: dt.datetime,
) -> Draft:
    """Open a form for a user in a chat, replacing any form they had open there; committed."""
    for attempt in range(2):
        await session.exec(delete(Draft).where(*_open_form_of(chat_id, actor_id)))
        form = Draft(
            actor_id=actor_id,
            chat_id=chat_id,
            action=action.value,
            fact_kind=str(kind),
            payload=_json(payload),
            status=DraftStatus.FORM.value,
            expires_at=expires_at,
        )
        session.add(form)
        try:
            await session.commit()
            return form
        except IntegrityError:
            # Another replica opened one at the same moment (a double-tapped /add): replace it.
            await session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _open_form_of(chat_id: int, actor_id: int) -> tuple[Any, ...]:
    return (
        col(Draft.chat_id) == chat_id,
        col(Draft.actor_id) == actor_id,
        col(Draft.status) == DraftStatus.FORM.value,
    )


async def get_form(session: AsyncSession, *, chat_id: int, actor_id: int) -> Draft | None:
    """The user's open form in a chat, expired or not (the caller closes an expired one)."""
    return (await session.exec(select(Draft).where(*_open_form_of(chat_id, actor_id)))).first()


async def save_form(
    session: AsyncSession,
    *,
    form_id: int,
    read: str,
    payload: dict[str, Any],
    expires_at: dt.datetime,
) -> bool:
    """Store a form's answers and new expiry, if its payload is still `read`; committed.

    False when the form was closed, or another answer (on another replica) changed it meanwhile.
    """
    result = await session.exec(
        update(Draft)
        .where(
            col(Draft.id) == form_id,
            col(Draft.status) == DraftStatus.FORM.value,
            col(Draft.payload) == read,
        )
        .values(payload=_json(payload), expires_at=expires_at)
    )
    await session.commit()
    return bool(result.rowcount)


async def close_form(
    session: AsyncSession, *, form_id: int, expired_by: dt.datetime | None = None
) -> bool:
    """Delete an open form (only if expired by `expired_by`, when given); committed.

    True for exactly one caller, so only one process tells the editor that a form was closed.
    """
    stmt = delete(Draft).where(
        col(Draft.id) == form_id, col(Draft.status) == DraftStatus.FORM.value
    )
    if expired_by is not None:
        stmt = stmt.where(col(Draft.expires_at) <= expired_by)
    result = await session.exec(stmt)
    await session.commit()
    return bool(result.rowcount)


async def expired_forms(session: AsyncSession, *, now: dt.datetime) -> list[Draft]:
    """Open forms whose expiry has passed, oldest first."""
    rows = await session.exec(
        select(Draft)
        .where(col(Draft.status) == DraftStatus.FORM.value, col(Draft.expires_at) <= now)
        .order_by(col(Draft.expires_at))
    )
    return list(rows.all())
