"""Stances as read and shown: current ones, an issue's history, the overview, their blocks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import _
from core.text import clip, esc
from kinds.base import FactKind
from kinds.common import source_line
from kinds.extras import NO_EXTRAS, FactExtras, differ_lines, row_extras, when_text
from kinds.position_chain import Position
from kinds.translations import localized, localized_text, original_marker
from store.alternatives import alternatives_column
from store.models import Issue, Party
from store.queries import page_of, parse_sources, sources_column
from store.translations import parse_translations, translations_column
from store.views import Page, SourceRef


@dataclass(frozen=True, slots=True)
class PositionView:
    """A party's stance on an issue as of a date."""

    id: int
    party: str
    issue: str
    stance: str
    as_of: dt.date
    superseded_by_id: int | None = None
    sources: tuple[SourceRef, ...] = ()
    extras: FactExtras = NO_EXTRAS
    label: str | None = None

    @property
    def is_current(self) -> bool:
        """True when no newer stance of the same party on the same issue exists."""
        return self.superseded_by_id is None


async def position_views(session: AsyncSession, stmt: Any) -> list[PositionView]:
    """Run a `positions_select()` statement and return its views."""
    rows = (await session.exec(stmt)).all()
    return [
        PositionView(
            id=pos.id,
            party=party_name,
            issue=issue_name,
            stance=pos.stance,
            as_of=pos.as_of,
            superseded_by_id=pos.superseded_by_id,
            sources=parse_sources(raw),
            extras=row_extras(pos, pos.as_of, others),
            label=pos.label,
        )
        for pos, party_name, issue_name, raw, others in rows
    ]


def positions_select() -> Any:
    """Live positions with party and issue names and their sources, for `position_views`."""
    return (
        sa_select(
            Position,
            col(Party.name),
            col(Issue.name),
            sources_column(FactKind.POSITION, Position.id),
            alternatives_column(FactKind.POSITION, Position.id),
        )
        .join(Party, col(Party.id) == col(Position.party_id))
        .join(Issue, col(Issue.id) == col(Position.issue_id))
        .where(col(Position.retracted_at).is_(None))
    )


async def current_positions(
    session: AsyncSession,
    *,
    limit: int,
    offset: int = 0,
    party_id: int | None = None,
    issue_id: int | None = None,
) -> Page[PositionView]:
    """Each party's current stance on each issue, grouped by issue, optionally filtered."""
    stmt = positions_select().where(col(Position.superseded_by_id).is_(None))
    if party_id is not None:
        stmt = stmt.where(Position.party_id == party_id)
    if issue_id is not None:
        stmt = stmt.where(Position.issue_id == issue_id)
    stmt = (
        stmt.order_by(col(Issue.name), col(Party.name), col(Position.id))
        .offset(offset)
        .limit(limit + 1)
    )
    return page_of(await position_views(session, stmt), offset=offset, limit=limit)


async def position_history(
    session: AsyncSession,
    *,
    issue_id: int,
    limit: int,
    offset: int = 0,
    party_id: int | None = None,
) -> Page[PositionView]:
    """Every live stance ever taken on an issue, by party, oldest first, superseded included."""
    stmt = positions_select().where(Position.issue_id == issue_id)
    if party_id is not None:
        stmt = stmt.where(Position.party_id == party_id)
    stmt = (
        stmt.order_by(
            col(Party.name), col(Position.party_id), col(Position.as_of), col(Position.id)
        )
        .offset(offset)
        .limit(limit + 1)
    )
    return page_of(await position_views(session, stmt), offset=offset, limit=limit)


OVERVIEW_WORDS = 40  # characters of a cut stance when it has no label


@dataclass(frozen=True, slots=True)
class IssueStances:
    """One issue of the /positions overview: each party's current stance in a few words."""

    issue_id: int
    issue: str
    stances: tuple[tuple[str, str], ...]  # (party name, label or cut stance)


def few_words(label: str | None, stance: str) -> str:
    """A stance as the overview shows it: its label, else the start of the stance cut short."""
    if label:
        return label
    text = " ".join(stance.split())
    if len(text) <= OVERVIEW_WORDS:
        return text
    cut = text[: OVERVIEW_WORDS - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


async def positions_overview(session: AsyncSession) -> list[IssueStances]:
    """Every issue with a current stance, by name, with each party's stances in a few words."""
    rows = (
        await session.exec(
            select(  # type: ignore[call-overload]  # seven columns: beyond sqlmodel's overloads
                Position.issue_id,
                Issue.name,
                Party.name,
                Position.label,
                Position.stance,
                Position.language,
                translations_column(FactKind.POSITION, Position.id),
            )
            .join(Party, col(Party.id) == col(Position.party_id))
            .join(Issue, col(Issue.id) == col(Position.issue_id))
            .where(col(Position.retracted_at).is_(None), col(Position.superseded_by_id).is_(None))
            .order_by(col(Issue.name), col(Party.name), col(Position.as_of), col(Position.id))
        )
    ).all()
    grouped: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    for issue_id, issue, party, label, stance, language, raw in rows:
        texts = parse_translations(raw)  # the reader's language where a translation exists
        label = localized_text(texts, language, "label", label) if label else None
        words = few_words(label, localized_text(texts, language, "stance", stance))
        grouped.setdefault(issue_id, (issue, []))[1].append((party, words))
    return [IssueStances(i, name, tuple(stances)) for i, (name, stances) in grouped.items()]


def position_line(p: PositionView, *, label: str | None = None, history: bool = False) -> str:
    """One stance: who (party by default), stance, as-of date, sources; history marks status."""
    who = esc(clip(label if label is not None else p.party, 90))
    mark, status = "• ", ""
    if history:
        mark = "🟢 " if p.is_current else "⚪️ "
        status = " " + (_("(current)") if p.is_current else _("(superseded)"))
    as_of = _("as of {date}").format(date=when_text(p.as_of, p.extras))
    differ = "".join(f"\n   {line}" for line in differ_lines(p))
    return (
        f"{mark}<b>{who}</b>: {esc(clip(localized(p, 'stance'), 300))}{original_marker(p)}"
        f"{differ}\n"
        f"   <i>{as_of}{status}</i> · {source_line(p.sources)}"
    )


def on_issue(party: str, issue: str) -> str:
    """'Russia on NATO' (plain text: position_line escapes it)."""
    return _("{party} on {issue}").format(party=party, issue=issue)


def position_blocks(
    positions: Sequence[PositionView], *, history: bool = False, by_party: bool = False
) -> list[str]:
    """Stances under a header per issue (or per party), one block per stance."""
    blocks: list[str] = []
    group: str | None = None
    for p in positions:
        heading, label = (p.party, p.issue) if by_party else (p.issue, p.party)
        line = position_line(p, label=label, history=history)
        if heading != group:
            group = heading
            line = f"<b>— {esc(clip(heading, 80).upper())} —</b>\n{line}"
        blocks.append(line)
    return blocks
