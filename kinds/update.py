"""News updates: a dated development with a headline, a short summary and tags (/latest)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import StringConstraints
from sqlalchemy import Index, Text, text
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import N_, _
from core.text import clip, esc
from kinds.base import ExportKeys, FactKind, KindSpec, Refs
from kinds.common import full_round, input_sources, same_text, source_line
from kinds.day_order import day_note, day_order
from kinds.extras import NO_EXTRAS, FactExtras, differ_lines, input_extras, row_extras, when_text
from kinds.forms import Checker, FieldSpec, date_field, items, source_field
from kinds.round import round_snapshot
from kinds.translations import localized, original_marker
from store.alternatives import alternatives_column
from store.facts import join_list, split_list
from store.models import FactBase
from store.queries import page_of, parse_sources, sources_column
from store.transfer import FactIn, Key, Label, Long
from store.views import Page, SourceRef


class NewsUpdate(FactBase, table=True):
    """A dated development: headline, short summary, tags."""

    __tablename__ = "news_update"
    __table_args__ = (
        Index("ix_news_update_date_id", "date", "id"),
        # Briefings ask "what was created, edited or retracted since the last one".
        Index("ix_news_update_created_at", "created_at"),
        Index("ix_news_update_updated_at", "updated_at"),
        # Partial: a plain index on a mostly-NULL column lures SQLite's planner away from
        # ix_news_update_date_id for "live updates, newest first" (150 ms instead of 0.03 ms).
        Index(
            "ix_news_update_retracted_at",
            "retracted_at",
            sqlite_where=text("retracted_at IS NOT NULL"),
            postgresql_where=text("retracted_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    date: dt.date
    headline: str = Field(sa_type=Text)
    summary: str = Field(default="", sa_type=Text)
    tags: str = Field(default="", sa_type=Text, description="Comma-separated tags")
    round_id: int | None = Field(default=None, foreign_key="talk_round.id")


class UpdateIn(FactIn):
    """A news update."""

    date: dt.date
    headline: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    summary: Long = ""
    tags: list[Label] = []
    round: Key | None = None


@dataclass(frozen=True, slots=True)
class UpdateView:
    """A news update with its sources."""

    id: int
    date: dt.date
    headline: str
    summary: str
    tags: tuple[str, ...] = ()
    sources: tuple[SourceRef, ...] = ()
    time: dt.time | None = None
    extras: FactExtras = NO_EXTRAS


def updates_select() -> Any:
    """News updates with their sources, for `update_views`."""
    return select(
        NewsUpdate,
        sources_column(FactKind.UPDATE, NewsUpdate.id),
        alternatives_column(FactKind.UPDATE, NewsUpdate.id),
    )


def update_views(rows: Sequence[Any]) -> list[UpdateView]:
    """Views of `updates_select()` rows."""
    return [
        UpdateView(
            id=r.id,
            date=r.date,
            headline=r.headline,
            summary=r.summary,
            tags=split_list(r.tags),
            sources=parse_sources(raw),
            time=r.event_time,
            extras=row_extras(r, r.date, others),
        )
        for r, raw, others in rows
        if r.id is not None
    ]


async def latest_updates(
    session: AsyncSession,
    *,
    limit: int,
    offset: int = 0,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Page[UpdateView]:
    """Live updates, newest first (the day's lead first), optionally from `since` to `until`."""
    stmt = updates_select().where(col(NewsUpdate.retracted_at).is_(None))
    if since is not None:
        stmt = stmt.where(NewsUpdate.date >= since)
    if until is not None:
        stmt = stmt.where(NewsUpdate.date <= until)
    stmt = stmt.order_by(*day_order(NewsUpdate, NewsUpdate.date)).offset(offset).limit(limit + 1)
    rows = (await session.exec(stmt)).all()
    return page_of(update_views(rows), offset=offset, limit=limit)


def update_block(u: UpdateView) -> str:
    """One news update: date, headline, summary, sources."""
    when = when_text(u.date, u.extras) + day_note(u.time)
    headline = esc(clip(localized(u, "headline"), 160))
    lines = [f"📅 <b>{when}</b> — <b>{headline}</b>{original_marker(u)}"]
    if u.summary:
        lines.append(esc(clip(localized(u, "summary"), 360)))
    lines += differ_lines(u)
    lines.append(source_line(u.sources))
    return "\n".join(lines)


class UpdateSpec(KindSpec[NewsUpdate, UpdateIn, UpdateView]):
    """News updates."""

    kind = FactKind.UPDATE
    letter = "U"
    section = "updates"
    noun = N_("update")
    label = N_("Update")
    icon = "📰"
    add_command = "add"
    add_help = N_("add a news update (preview, then Save)")
    add_example = "/add HEADLINE + date:, source:"
    where_shown = "/latest and /search"
    table = NewsUpdate
    input = UpdateIn
    fields = (
        FieldSpec("headline", True, N_("Headline? (one line)"), ("title", "text")),
        date_field(),
        FieldSpec("summary", False, N_("Short summary? (/skip)"), ("details", "body")),
        source_field(),
        FieldSpec("tags", False, N_("Tags, comma-separated? (/skip)"), ("tag",)),
    )
    lead_field = "headline"
    usage = (
        "<code>/add HEADLINE\ndate: 2 June 2025\nsource: Reuters https://…\n"
        "summary: …\ntags: talks, memorandum</code>"
    )
    title_attr = "headline"
    briefing_heading = N_("📰 <b>New updates</b>")
    translatable = ("headline", "summary")
    full_labels = {
        "headline": N_("Headline"),
        "date": N_("Date"),
        "summary": N_("Summary"),
        "tags": N_("Tags"),
        "round": N_("Round"),
    }

    async def load(self, session: AsyncSession, ids: Sequence[int]) -> list[UpdateView]:
        stmt = updates_select().where(
            col(NewsUpdate.id).in_(ids), col(NewsUpdate.retracted_at).is_(None)
        )
        return update_views((await session.exec(stmt)).all())

    def new_row(self, item: UpdateIn, refs: Refs, label: str) -> NewsUpdate | None:
        return NewsUpdate(
            date=item.date,
            headline=item.headline,
            summary=item.summary,
            tags=join_list(item.tags),
            round_id=refs.fact(label, FactKind.ROUND, item.round),
        )

    async def apply(
        self, session: AsyncSession, row: NewsUpdate, item: UpdateIn, refs: Refs
    ) -> None:
        row.date, row.headline, row.summary = item.date, item.headline, item.summary
        row.tags = join_list(item.tags)

    async def search_text(self, session: AsyncSession, row: NewsUpdate) -> str:
        return " ".join([row.headline, row.summary, row.tags])

    async def snapshot(self, session: AsyncSession, row: NewsUpdate, data: dict[str, Any]) -> None:
        data["tags"] = list(split_list(row.tags))
        data["round"] = await round_snapshot(session, data.pop("round_id", None))

    async def export(
        self, session: AsyncSession, rows: Sequence[NewsUpdate], keys: ExportKeys
    ) -> list[dict[str, Any]]:
        return [
            {
                "date": u.date,
                "headline": u.headline,
                "summary": u.summary,
                "tags": list(split_list(u.tags)),
                "round": keys.fact(FactKind.ROUND, u.round_id),
            }
            for u in rows
        ]

    async def duplicates(self, session: AsyncSession, item: UpdateIn, candidates: Any) -> list[int]:
        rows = (await session.exec(candidates.where(NewsUpdate.date == item.date))).all()
        return [r.id for r in rows if same_text(r.headline, item.headline)]

    def build(self, values: Mapping[str, str], check: Checker) -> dict[str, Any]:
        return {
            "headline": values.get("headline", ""),
            "date": check.date("date", values.get("date")),
            "summary": values.get("summary", ""),
            "tags": items(values.get("tags")),
        }

    def form_values(self, snap: Mapping[str, Any]) -> dict[str, str]:
        return {
            "headline": snap.get("headline", ""),
            "date": snap["date"],
            "summary": snap.get("summary", ""),
            "tags": ", ".join(snap.get("tags", [])),
        }

    def block(self, view: UpdateView) -> str:
        return update_block(view)

    def full_value(self, key: str, value: Any) -> str:
        return full_round(value) if key == "round" else super().full_value(key, value)

    def preview_notes(self, item: UpdateIn) -> list[str]:
        return [_("Tags:") + " " + esc(", ".join(item.tags))] if item.tags else []

    def preview_view(self, item: UpdateIn, names: Mapping[str, str]) -> UpdateView:
        return UpdateView(
            0,
            item.date,
            item.headline,
            item.summary,
            tuple(item.tags),
            input_sources(item),
            item.time,
            input_extras(item),
        )


SPEC = UpdateSpec()
