"""What changed in the store between two instants: the content of a briefing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.base import Change, FactKind
from kinds.extras import NO_EXTRAS
from kinds.registry import AnySpec, reader_specs
from kinds.update import UpdateView, latest_updates

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
    """Facts created, changed or retracted in (since, until], by kind in readers' order."""

    since: dt.datetime
    until: dt.datetime
    # New facts (and, for kinds with corrections_in_section, corrected ones) per kind.
    sections: dict[FactKind, list[Change[Any]]] = field(default_factory=dict)
    corrected: list[tuple[FactKind, Any]] = field(default_factory=list)
    retracted: list[Retraction] = field(default_factory=list)
    latest: UpdateView | None = None

    @property
    def quiet(self) -> bool:
        """True when nothing at all changed."""
        return not (any(self.sections.values()) or self.corrected or self.retracted)

    @property
    def differ(self) -> int:
        """How many of the facts in the digest carry values other sources report differently."""
        views = [c.view for changes in self.sections.values() for c in changes]
        views += [view for _kind, view in self.corrected]
        return sum(1 for view in views if getattr(view, "extras", NO_EXTRAS).differ)

    def section(self, kind: FactKind) -> list[Change[Any]]:
        """The new (or changed) facts of one kind."""
        return self.sections.get(kind, [])


def _new(model: Any, since: dt.datetime, until: dt.datetime) -> Any:
    return and_(col(model.created_at) > since, col(model.created_at) <= until)


def _changed_before(model: Any, since: dt.datetime, until: dt.datetime) -> Any:
    # Edited in the window, but created before it: the reader may have seen the old version.
    return and_(
        col(model.updated_at) > since,
        col(model.updated_at) <= until,
        col(model.created_at) <= since,
    )


async def _ids(session: AsyncSession, spec: AnySpec, condition: Any) -> list[int]:
    model: Any = spec.table
    stmt = (
        select(model.id)
        .where(col(model.retracted_at).is_(None), condition)
        .order_by(col(getattr(model, spec.date_attr)).desc(), col(model.id).desc())
        .limit(MAX_PER_KIND)
    )
    return list((await session.exec(stmt)).all())


async def _in_order(session: AsyncSession, spec: AnySpec, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    views = {v.id: v for v in await spec.load(session, ids)}
    return [views[i] for i in ids if i in views]


async def _kind_changes(
    session: AsyncSession, digest: Digest, spec: AnySpec, since: dt.datetime, until: dt.datetime
) -> None:
    model: Any = spec.table
    new = await _in_order(session, spec, await _ids(session, spec, _new(model, since, until)))
    previous = await spec.previous(session, new)
    changes = [Change(view, True, previous.get(view.id)) for view in new]
    edited = await _in_order(
        session, spec, await _ids(session, spec, _changed_before(model, since, until))
    )
    if spec.corrections_in_section:
        changes += [Change(view, False) for view in edited]
        changes.sort(key=lambda c: (getattr(c.view, spec.date_attr), c.view.id), reverse=True)
    else:
        digest.corrected += [(spec.kind, view) for view in edited]
    digest.sections[spec.kind] = changes
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
    for row in gone:
        label = str(getattr(row, spec.title_attr))
        digest.retracted.append(Retraction(spec.kind, row.id, label, row.retraction_reason or ""))


async def changes_between(
    session: AsyncSession, *, since: dt.datetime, until: dt.datetime
) -> Digest:
    """Gather every change a reader briefed at `since` has not seen yet, up to `until`."""
    digest = Digest(since=since, until=until)
    for spec in reader_specs():
        await _kind_changes(session, digest, spec, since, until)
    if digest.quiet:
        newest = await latest_updates(session, limit=1)
        digest.latest = newest.items[0] if newest.items else None
    return digest
