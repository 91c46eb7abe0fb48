"""What changed in the store between two instants: the content of a briefing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Exchange, FactKind, NewsUpdate, Position, TalkRound
from store.queries import (
    exchange_views,
    exchanges_select,
    latest_updates,
    position_views,
    positions_select,
    round_views,
    rounds_select,
    update_views,
    updates_select,
)
from store.views import ExchangeView, PositionView, RoundView, UpdateView

MAX_PER_KIND = 15


@dataclass(frozen=True, slots=True)
class Retraction:
    """A fact withdrawn since the last briefing."""

    kind: FactKind
    fact_id: int
    label: str
    reason: str


@dataclass
class Digest:
    """Facts created, changed or retracted in (since, until]."""

    since: dt.datetime
    until: dt.datetime
    updates: list[UpdateView] = field(default_factory=list)
    positions: list[tuple[PositionView, PositionView | None]] = field(default_factory=list)
    exchanges: list[tuple[ExchangeView, bool]] = field(default_factory=list)
    rounds: list[RoundView] = field(default_factory=list)
    corrected: list[UpdateView | PositionView | RoundView] = field(default_factory=list)
    retracted: list[Retraction] = field(default_factory=list)
    latest: UpdateView | None = None

    @property
    def quiet(self) -> bool:
        """True when nothing at all changed."""
        return not (
            self.updates
            or self.positions
            or self.exchanges
            or self.rounds
            or self.corrected
            or self.retracted
        )


def _new(model: Any, since: dt.datetime, until: dt.datetime) -> Any:
    return and_(col(model.created_at) > since, col(model.created_at) <= until)


def _changed_before(model: Any, since: dt.datetime, until: dt.datetime) -> Any:
    # Edited in the window, but created before it: the reader may have seen the old version.
    return and_(
        col(model.updated_at) > since,
        col(model.updated_at) <= until,
        col(model.created_at) <= since,
    )


async def changes_between(
    session: AsyncSession, *, since: dt.datetime, until: dt.datetime
) -> Digest:
    """Gather every change a reader briefed at `since` has not seen yet, up to `until`."""
    digest = Digest(since=since, until=until)
    live_updates = updates_select().where(col(NewsUpdate.retracted_at).is_(None))
    rows = (
        await session.exec(
            live_updates.where(_new(NewsUpdate, since, until))
            .order_by(col(NewsUpdate.date).desc(), col(NewsUpdate.id).desc())
            .limit(MAX_PER_KIND)
        )
    ).all()
    digest.updates = update_views(rows)

    new_positions = await position_views(
        session,
        positions_select()
        .where(_new(Position, since, until))
        .order_by(col(Position.as_of).desc(), col(Position.id).desc())
        .limit(MAX_PER_KIND),
    )
    previous: dict[int, PositionView] = {}
    if new_positions:
        ids = [p.id for p in new_positions]
        for old in await position_views(
            session, positions_select().where(col(Position.superseded_by_id).in_(ids))
        ):
            if old.superseded_by_id is not None:
                previous[old.superseded_by_id] = old
    digest.positions = [(p, previous.get(p.id)) for p in new_positions]

    exchange_rows = (
        await session.exec(
            exchanges_select()
            .where(or_(_new(Exchange, since, until), _changed_before(Exchange, since, until)))
            .order_by(col(Exchange.date).desc(), col(Exchange.id).desc())
            .limit(MAX_PER_KIND)
        )
    ).all()
    fresh = {row[0].id for row in exchange_rows if row[0].created_at > since}
    digest.exchanges = [(x, x.id in fresh) for x in await exchange_views(session, exchange_rows)]

    round_rows = (
        await session.exec(
            rounds_select()
            .where(col(TalkRound.retracted_at).is_(None), _new(TalkRound, since, until))
            .order_by(col(TalkRound.date).desc())
            .limit(MAX_PER_KIND)
        )
    ).all()
    digest.rounds = round_views(round_rows)

    edited_updates = (
        await session.exec(
            live_updates.where(_changed_before(NewsUpdate, since, until)).limit(MAX_PER_KIND)
        )
    ).all()
    digest.corrected.extend(update_views(edited_updates))
    digest.corrected.extend(
        await position_views(
            session,
            positions_select().where(_changed_before(Position, since, until)).limit(MAX_PER_KIND),
        )
    )
    edited_rounds = (
        await session.exec(
            rounds_select()
            .where(col(TalkRound.retracted_at).is_(None), _changed_before(TalkRound, since, until))
            .limit(MAX_PER_KIND)
        )
    ).all()
    digest.corrected.extend(round_views(edited_rounds))

    for kind, model, label in (
        (FactKind.UPDATE, NewsUpdate, "headline"),
        (FactKind.POSITION, Position, "stance"),
        (FactKind.EXCHANGE, Exchange, "date"),
        (FactKind.ROUND, TalkRound, "place"),
    ):
        gone = (
            await session.exec(
                select(model)
                .where(
                    col(model.retracted_at) > since,
                    col(model.retracted_at) <= until,
                    col(model.created_at) <= since,
                )
                .limit(MAX_PER_KIND)
            )
        ).all()
        row: Any
        for row in gone:
            text = getattr(row, label)
            digest.retracted.append(
                Retraction(kind, row.id, str(text), row.retraction_reason or "")
            )

    if digest.quiet:
        newest = await latest_updates(session, limit=1)
        digest.latest = newest.items[0] if newest.items else None
    return digest
