"""Positions: a party's stance on an issue as of a date; a newer one supersedes, none is lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar

from pydantic import StringConstraints
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.dates import format_date
from core.i18n import N_, _, ngettext
from core.text import clip, esc
from kinds.base import Change, ExportKeys, FactKind, KindSpec, PreviewQuestion, Refs
from kinds.common import input_sources, same_text, source_line
from kinds.extras import differ_lines, input_extras, when_text
from kinds.forms import LABEL_MAX, Checker, FieldSpec, date_field, source_field
from kinds.position_chain import Position, link_superseded
from kinds.position_views import (
    PositionView,
    current_positions,
    on_issue,
    position_line,
    position_views,
    positions_select,
)
from kinds.translations import localized, original_marker
from store.models import Issue, Party
from store.transfer import FactIn, Key


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


QUESTION_OPTIONS = 3  # current stances a preview offers to supersede


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
            "label": check.label(values["label"]) if values.get("label") else None,
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
        return position_line(view, label=on_issue(view.party, view.issue))

    def search_block(self, view: PositionView) -> str:
        return (
            "🧭 <i>"
            + _("Position")
            + "</i>\n"
            + position_line(view, label=on_issue(view.party, view.issue), history=True)
        )

    def briefing_block(self, change: Change[PositionView]) -> str:
        new, old = change.view, change.previous
        if old is None:
            return position_line(new, label=on_issue(new.party, new.issue) + " " + _("(new)"))
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
