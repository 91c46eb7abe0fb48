"""The positions table and its chains: a newer stance supersedes older ones on the same issue."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from itertools import pairwise

from sqlalchemy import Index, Text, text
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import FactBase


class Position(FactBase, table=True):
    """A party's stance on an issue as of a date; a newer one supersedes it, none is overwritten."""

    __table_args__ = (
        Index("ix_position_party_issue_asof", "party_id", "issue_id", "as_of"),
        # Newest first across issues (migration 0018): /translations missing pages by it.
        Index("ix_position_asof_id", "as_of", "id"),
        # Current stances only (migration 0007): /positions does not read the whole history.
        Index(
            "ix_position_current",
            "issue_id",
            "party_id",
            sqlite_where=text("superseded_by_id IS NULL AND retracted_at IS NULL"),
            postgresql_where=text("superseded_by_id IS NULL AND retracted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    party_id: int = Field(foreign_key="party.id")
    issue_id: int = Field(foreign_key="issue.id")
    stance: str = Field(sa_type=Text)
    # A few words for the /positions overview (migration 0011); None: a cut stance is shown.
    label: str | None = Field(default=None, sa_type=Text)
    as_of: dt.date
    superseded_by_id: int | None = Field(default=None, foreign_key="position.id")


_PUBLIC_ID = re.compile(r"^[Pp](\d{1,9})$")


async def position_by_ref(session: AsyncSession, ref: str) -> Position | None:
    """The stance a key or a public id (P7) names; a public id wins over a key spelled like one."""
    match = _PUBLIC_ID.match(ref)
    if match is not None:
        found = await session.get(Position, int(match.group(1)))
        if found is not None:
            return found
    return (await session.exec(select(Position).where(Position.key == ref))).first()


async def link_superseded(
    session: AsyncSession, row: Position, refs: Sequence[str], *, label: str, errors: list[str]
) -> None:
    """Mark the stances named in `refs` superseded by `row`; problems go to `errors`."""
    if row.retracted_at is not None:
        return  # a retracted stance replaces nothing
    for ref in refs:
        older = await position_by_ref(session, ref)
        problem = ""
        if older is None or older.id == row.id:
            problem = f"no stance {ref!r} to supersede"
        elif (older.party_id, older.issue_id) != (row.party_id, row.issue_id):
            problem = f"{ref!r} is another party's stance or on another issue"
        elif older.retracted_at is not None:
            problem = f"{ref!r} is retracted"
        elif older.superseded_by_id not in (None, row.id):
            problem = f"{ref!r} is already superseded by P{older.superseded_by_id}"
        if problem:
            errors.append(f"{label}: supersedes: {problem}")
            continue
        assert older is not None
        older.superseded_by_id = row.id
        session.add(older)
    await session.flush()


async def relink_positions(session: AsyncSession, *, party_id: int, issue_id: int) -> None:
    """Chain one party's live stances on one issue by date: each is superseded by the next."""
    rows = (
        await session.exec(
            select(Position)
            .where(
                Position.party_id == party_id,
                Position.issue_id == issue_id,
                col(Position.retracted_at).is_(None),
            )
            .order_by(col(Position.as_of), col(Position.id))
        )
    ).all()
    for older, newer in pairwise(rows):
        if older.superseded_by_id != newer.id:
            older.superseded_by_id = newer.id
            session.add(older)
    if rows and rows[-1].superseded_by_id is not None:
        rows[-1].superseded_by_id = None
        session.add(rows[-1])
