"""Positions: a party's stance on an issue as of a date; a newer one supersedes, none is lost."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Annotated, Any, ClassVar

from pydantic import StringConstraints
from sqlalchemy import Index, Text, text
from sqlalchemy import select as sa_select
from sqlmodel import Field, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.dates import format_date
from core.i18n import N_, _, ngettext
from core.text import clip, esc
from kinds.base import Change, ExportKeys, FactKind, KindSpec, PreviewQuestion, Refs
from kinds.common import input_sources, same_text, source_line
from kinds.extras import NO_EXTRAS, FactExtras, differ_lines, input_extras, row_extras, when_text
from kinds.forms import LABEL_MAX, Checker, FieldSpec, date_field, source_field
from kinds.translations import localized, localized_text, original_marker
from store.alternatives import alternatives_column
from store.models import FactBase, Issue, Party
from store.queries import page_of, parse_sources, sources_column
from store.transfer import FactIn, Key
from store.translations import parse_translations, translations_column
from store.views import Page, SourceRef


class Position(FactBase, table=True):
    """A party's stance on an issue as of a date; a newer one supersedes it, none is overwritten."""

    __table_args__ = (
        Index("ix_position_party_issue_asof", "party_id", "issue_id", "as_of"),
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


class PositionIn(FactIn):
    """A party's stance on an issue."""

    date_field: ClassVar[str] = "as_of"

    party: Key
    issue: Key
    stance: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=3000)]
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=LABEL_MAX)] | None = (
        None
    )
    as_of: dt.date
    # The stances this one replaces (keys, or public ids such as P7); none unless the editor
    # says so, so one party may hold several current stances on one issue.
    supersedes: list[Key] | None = None


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


QUESTION_OPTIONS = 3  # current stances a preview offers to supersede
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


def _on(party: str, issue: str) -> str:
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


class PositionSpec(KindSpec[Position, PositionIn, PositionView]):
    """Parties' stances on issues."""

    kind = FactKind.POSITION
    letter = "P"
    section = "positions"
    noun = N_("position")
    label = N_("Position")
    icon = "🧭"
    add_command = "position"
    add_help = N_("record a party's stance on an issue")
    add_example = "/position + party:, issue:"
    where_shown = "/positions and /search"
    table = Position
    input = PositionIn
    fields = (
        FieldSpec("party", True, N_("Which party? (e.g. Russia)"), ("side", "who"), Checker.party),
        FieldSpec(
            "issue", True, N_("On which issue? (e.g. NATO, territory)"), ("topic",), Checker.issue
        ),
        FieldSpec("stance", True, N_("What is the stance? (one or two sentences)"), ("position",)),
        FieldSpec(
            "label",
            False,
            N_("A few words for the overview, e.g. “no NATO membership” (/skip)"),
            ("short", "in short"),
            Checker.label,
        ),
        FieldSpec(
            "supersedes",
            False,
            N_("Replaces a current stance? Its id, e.g. P7, or “none” (/skip: the preview asks)"),
            ("replaces", "supersedes id"),
            Checker.supersedes,
        ),
        date_field(N_("As of when? (e.g. 14 June 2024)"), ("as of", "as_of", "when")),
        source_field(),
    )
    lead_field = "stance"
    # Another party's stance, or a stance on another issue, is a new position, not a correction.
    fixed_fields = frozenset({"party", "issue"})
    usage = (
        "<code>/position\nparty: Russia\nissue: NATO\nstance: …\ndate: 14 June 2024\n"
        "source: https://…</code>"
    )
    date_attr = "as_of"
    title_attr = "stance"
    briefing_heading = N_("🧭 <b>Position changes</b>")
    translatable = ("stance", "label")
    full_labels = {
        "party": N_("Party"),
        "issue": N_("Issue"),
        "stance": N_("Stance"),
        "as_of": N_("As of"),
    }
    full_hidden = frozenset({"superseded_by_id"})  # /show says "superseded by P14" itself

    async def load(self, session: AsyncSession, ids: Sequence[int]) -> list[PositionView]:
        return await position_views(session, positions_select().where(col(Position.id).in_(ids)))

    def new_row(self, item: PositionIn, refs: Refs, label: str) -> Position | None:
        party = refs.party(label, item.party)
        issue = refs.issue(label, item.issue)
        if party is None or issue is None:
            return None
        assert party.id is not None and issue.id is not None
        return Position(
            party_id=party.id,
            issue_id=issue.id,
            stance=item.stance,
            label=item.label,
            as_of=item.as_of,
        )

    async def apply(
        self, session: AsyncSession, row: Position, item: PositionIn, refs: Refs
    ) -> None:
        # Party and issue are fixed_fields: a correction changes the stance and its date only.
        row.stance, row.label, row.as_of = item.stance, item.label, item.as_of

    async def after_insert(
        self, session: AsyncSession, row: Position, item: PositionIn, refs: Refs
    ) -> None:
        if not item.supersedes:
            return
        wanted = list(item.supersedes)

        async def link() -> None:
            label = f"position {item.key or self.ref(row.id or 0)}"
            await link_superseded(session, row, wanted, label=label, errors=refs.errors)

        refs.later.append(link)  # after the whole file, so the older stance may come later

    async def after_change(self, session: AsyncSession, row: Position) -> None:
        # A retracted stance hands what it superseded on to its own successor (or to none):
        # those stances are current again unless a newer one had replaced it.
        if row.retracted_at is None:
            return
        replaced = await session.exec(select(Position).where(Position.superseded_by_id == row.id))
        for older in replaced.all():
            older.superseded_by_id = row.superseded_by_id
            session.add(older)
        await session.flush()

    async def preview_question(
        self, session: AsyncSession, item: PositionIn
    ) -> PreviewQuestion | None:
        if item.supersedes is not None:
            return None
        party = (await session.exec(select(Party).where(Party.key == item.party))).first()
        issue = (await session.exec(select(Issue).where(Issue.key == item.issue))).first()
        if party is None or issue is None:
            return None
        current = await current_positions(
            session, limit=QUESTION_OPTIONS, party_id=party.id, issue_id=issue.id
        )
        if not current.items:
            return None
        held = ngettext(
            "{party} already holds {n} current stance on {issue}.",
            "{party} already holds {n} current stances on {issue}.",
            len(current.items),
        ).format(party=esc(party.name), n=len(current.items), issue=esc(issue.name))
        lines = [f"❓ <b>{held}</b> " + _("Does this one replace it, or do both stand?")]
        lines += [
            f"{self.ref(p.id)}: {esc(clip(p.stance, 120))} <i>("
            + _("as of {date}").format(date=format_date(p.as_of))
            + ")</i>"
            for p in current.items
        ]
        options = [
            (_("Supersedes {ref}").format(ref=self.ref(p.id)), {"supersedes": [self.ref(p.id)]})
            for p in current.items
        ]
        keep = _("Keeps both") if len(current.items) == 1 else _("Keeps all")
        options.append((keep, {"supersedes": []}))
        return PreviewQuestion("\n".join(lines), tuple(options))

    def preview_notes(self, item: PositionIn) -> list[str]:
        if item.supersedes:
            return ["↪️ " + _("Supersedes {refs}.").format(refs=esc(", ".join(item.supersedes)))]
        if item.supersedes == []:
            return ["↪️ " + _("Supersedes nothing: the current stances stay current.")]
        return []

    async def search_text(self, session: AsyncSession, row: Position) -> str:
        party = await session.get(Party, row.party_id)
        issue = await session.get(Issue, row.issue_id)
        names = [x for t in (party, issue) if t is not None for x in (t.name, t.aliases)]
        return " ".join([*names, row.stance])

    async def snapshot(self, session: AsyncSession, row: Position, data: dict[str, Any]) -> None:
        party = await session.get(Party, row.party_id)
        issue = await session.get(Issue, row.issue_id)
        data["party"] = party.name if party else None
        data["issue"] = issue.name if issue else None
        for name in ("party_id", "issue_id"):
            data.pop(name, None)

    async def export(
        self, session: AsyncSession, rows: Sequence[Position], keys: ExportKeys
    ) -> list[dict[str, Any]]:
        replaced: dict[int, list[str]] = {}
        for p in rows:
            if p.superseded_by_id is not None:
                key = p.key or f"{self.kind.value}-{p.id}"
                replaced.setdefault(p.superseded_by_id, []).append(key)
        return [
            {
                "supersedes": replaced.get(p.id or 0),
                "party": keys.parties[p.party_id],
                "issue": keys.issues[p.issue_id],
                "stance": p.stance,
                "label": p.label,
                "as_of": p.as_of,
            }
            for p in rows
        ]

    async def duplicates(
        self, session: AsyncSession, item: PositionIn, candidates: Any
    ) -> list[int]:
        party = (await session.exec(select(Party).where(Party.key == item.party))).first()
        issue = (await session.exec(select(Issue).where(Issue.key == item.issue))).first()
        if party is None or issue is None:
            return []
        rows = (
            await session.exec(
                candidates.where(
                    Position.party_id == party.id,
                    Position.issue_id == issue.id,
                    Position.as_of == item.as_of,
                )
            )
        ).all()
        return [r.id for r in rows if same_text(r.stance, item.stance)]

    def build(self, values: Mapping[str, str], check: Checker) -> dict[str, Any]:
        return {
            "party": check.named("party", values["party"]) if values.get("party") else None,
            "issue": check.named("issue", values["issue"]) if values.get("issue") else None,
            "stance": values.get("stance", ""),
            "label": values.get("label") or None,
            "as_of": check.date("date", values.get("date")),
            "supersedes": check.supersedes(values["supersedes"])
            if values.get("supersedes")
            else None,
        }

    def form_values(self, snap: Mapping[str, Any]) -> dict[str, str]:
        return {
            "party": snap.get("party", ""),
            "issue": snap.get("issue", ""),
            "stance": snap.get("stance", ""),
            "label": snap.get("label") or "",
            "date": snap["as_of"],
        }

    def block(self, view: PositionView) -> str:
        return position_line(view, label=_on(view.party, view.issue))

    def search_block(self, view: PositionView) -> str:
        return (
            "🧭 <i>"
            + _("Position")
            + "</i>\n"
            + position_line(view, label=_on(view.party, view.issue), history=True)
        )

    def briefing_block(self, change: Change[PositionView]) -> str:
        new, old = change.view, change.previous
        if old is None:
            return position_line(new, label=_on(new.party, new.issue) + " " + _("(new)"))
        who = _("{party} on {issue}").format(
            party=esc(clip(new.party, 60)), issue=esc(clip(new.issue, 60))
        )
        when = _("as of {date}, was {old_date}").format(
            date=when_text(new.as_of, new.extras), old_date=when_text(old.as_of, old.extras)
        )
        return (
            f"• <b>{who}</b>: "
            f"<s>{esc(clip(localized(old, 'stance'), 200))}</s> → "
            f"{esc(clip(localized(new, 'stance'), 300))}{original_marker(new)}"
            + "".join(f"\n   {line}" for line in differ_lines(new))
            + "\n"
            f"   <i>{when}</i> · "
            f"{source_line(new.sources)}"
        )

    def preview_view(self, item: PositionIn, names: Mapping[str, str]) -> PositionView:
        return PositionView(
            0,
            names.get(item.party, item.party),
            names.get(item.issue, item.issue),
            item.stance,
            item.as_of,
            sources=input_sources(item),
            extras=input_extras(item),
            label=item.label,
        )

    async def previous(
        self, session: AsyncSession, views: Sequence[PositionView]
    ) -> dict[int, PositionView]:
        if not views:
            return {}
        ids = [p.id for p in views]
        olds = await position_views(
            session, positions_select().where(col(Position.superseded_by_id).in_(ids))
        )
        return {old.superseded_by_id: old for old in olds if old.superseded_by_id is not None}


SPEC = PositionSpec()
