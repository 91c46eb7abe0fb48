"""What every fact kind declares: a KindSpec names its table, input, view, form and rendering.

A kind is one module in kinds/ with one KindSpec subclass; kinds/registry.py lists them and
refuses to start when a FactKind has no spec. Generic code (import and export, editing, the
audit log, search, the briefing digest, the editors' forms, rendering) reads only the spec.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import _
from core.text import esc
from kinds.common import full_value, key_label
from kinds.day_order import DAY_FIELDS, DAY_LABELS
from kinds.extras import SNAPSHOT_KEYS, snapshot_alternatives, snapshot_when
from kinds.forms import Checker, FieldSpec
from store.facts import split_list
from store.models import FactBase, Issue, Party
from store.transfer import FactIn
from store.views import Page


class FactKind(StrEnum):
    """The kinds of curated fact; the value is what citations, search rows and drafts store."""

    UPDATE = "update"
    POSITION = "position"
    EXCHANGE = "exchange"
    ROUND = "round"
    DOCUMENT = "document"


class FactView(Protocol):
    """What every view has: the fact's id."""

    @property
    def id(self) -> int: ...


RowT = TypeVar("RowT", bound=FactBase)
InT = TypeVar("InT", bound=FactIn)
ViewT = TypeVar("ViewT", bound=FactView)


@dataclass
class Refs:
    """Keys an imported or edited item may name, resolved to rows; problems go to `errors`."""

    parties: dict[str, Party] = field(default_factory=dict)
    issues: dict[str, Issue] = field(default_factory=dict)
    # Facts of the kinds other facts may name (`KindSpec.referable`): key or public id -> id.
    facts: dict[FactKind, dict[str, int]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Links to other facts of the same file, made once every item is stored (any order).
    later: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    # "party:key", "issue:key", "round:key", "source:key": declared in the file being imported
    # but refused there; naming one is no further problem (the declaration's is reported).
    refused: set[str] = field(default_factory=set)

    def party(self, label: str, key: str, at: str = "party") -> Party | None:
        """The party with this key, or None with a problem noted (`at`: the field's path)."""
        row = self.parties.get(key)
        if row is None:
            self.unknown(label, at, "party", key, self.parties)
        return row

    def issue(self, label: str, key: str, at: str = "issue") -> Issue | None:
        """The issue with this key, or None with a problem noted."""
        row = self.issues.get(key)
        if row is None:
            self.unknown(label, at, "issue", key, self.issues)
        return row

    def fact(self, label: str, kind: FactKind, key: str | None) -> int | None:
        """The id of the `kind` fact with this key or public id (None: no key, or a problem)."""
        if key is None:
            return None
        known = self.facts.get(kind, {})
        if key not in known:
            self.unknown(label, kind.value, kind.value, key, known)
            return None
        return known[key]

    def add_fact(self, kind: FactKind, fact_id: int, *names: str | None) -> None:
        """Let later items name a fact just written, by its public id and key."""
        self.facts.setdefault(kind, {}).update({n: fact_id for n in names if n})

    def unknown(self, label: str, at: str, what: str, key: str, known: Mapping[str, Any]) -> None:
        """Note an unknown reference, with the nearest known key as a suggestion."""
        if f"{what}:{key}" in self.refused:
            return
        hint = suggest(key, known)
        tail = f" — did you mean {hint}?" if hint else ""
        self.errors.append(f"{label}: {at}: unknown {what} {key!r}{tail}")

    def party_name(self, key: str) -> str:
        """A party's display name for a key, or the text itself when it is not a key."""
        row = self.parties.get(key)
        return row.name if row is not None else key


def suggest(typed: str, known: Mapping[str, Any]) -> str | None:
    """The key meant by `typed` among `known` keys (rows with a name and aliases, or ids)."""
    by_label: dict[str, str] = {}
    for key, row in known.items():
        by_label.setdefault(key.casefold(), key)
        for label in (getattr(row, "name", ""), *split_list(getattr(row, "aliases", "") or "")):
            if label:
                by_label.setdefault(label.casefold(), key)
    wanted = typed.casefold().strip()
    slugged = re.sub(r"[^a-z0-9]+", "-", wanted).strip("-")
    for label in (wanted, slugged):
        if label in by_label:
            return by_label[label]
    close = difflib.get_close_matches(wanted, list(by_label), n=1, cutoff=0.8)
    return by_label[close[0]] if close else None


@dataclass
class ExportKeys:
    """Stable keys of the rows a fact may point at, for writing an export file."""

    parties: dict[int, str] = field(default_factory=dict)
    issues: dict[int, str] = field(default_factory=dict)
    # Facts of the kinds other facts may name (`KindSpec.referable`): id -> key.
    facts: dict[FactKind, dict[int, str]] = field(default_factory=dict)

    def fact(self, kind: FactKind, fact_id: int | None) -> str | None:
        """The key a file names a `kind` fact by (None: no fact)."""
        return self.facts.get(kind, {}).get(fact_id) if fact_id else None


@dataclass(frozen=True, slots=True)
class PreviewQuestion:
    """What a preview asks before Save, and the answers: (button label, changes to the item)."""

    text: str
    options: tuple[tuple[str, dict[str, Any]], ...]


@dataclass(frozen=True, slots=True)
class Change(Generic[ViewT]):
    """One fact in a briefing: new since the last one, or corrected (with what it replaced)."""

    view: ViewT
    fresh: bool = True
    previous: ViewT | None = None


class KindSpec(ABC, Generic[RowT, InT, ViewT]):
    """Everything about one kind of fact; subclasses fill in the class attributes and methods."""

    kind: ClassVar[FactKind]
    letter: ClassVar[str]  # public ids: U12, P3, X7, R2, D1
    section: ClassVar[str]  # its list in import/export files, e.g. "updates"
    noun: ClassVar[str]  # "prisoner exchange"
    label: ClassVar[str]  # "Prisoner exchange", over search hits
    icon: ClassVar[str]
    add_command: ClassVar[str]  # the editors' command that adds one, e.g. "exchange"
    add_help: ClassVar[str]  # that command in the editors' menu and /help
    add_example: ClassVar[str]
    where_shown: ClassVar[str]  # "/exchanges and /search"
    table: ClassVar[type[Any]]
    input: ClassVar[type[Any]]
    fields: ClassVar[tuple[FieldSpec, ...]]
    lead_field: ClassVar[str]  # /add HEADLINE fills this field
    # Fields a correction (/edit) may not change: changing them makes another fact.
    fixed_fields: ClassVar[frozenset[str]] = frozenset()
    usage: ClassVar[str]  # the one-shot form, as HTML
    date_attr: ClassVar[str] = "date"
    title_attr: ClassVar[str]  # what names a retracted fact in a briefing
    briefing_heading: ClassVar[str]
    # Corrections of this kind stay in its own briefing section (marked), not under Corrections.
    corrections_in_section: ClassVar[bool] = False
    # A plain list command for readers (/documents); kinds with their own handler leave it None.
    list_command: ClassVar[str | None] = None
    list_help: ClassVar[str] = ""
    list_title: ClassVar[str] = ""
    list_empty: ClassVar[str] = ""
    # The fact in full (/show): its snapshot's fields by key, with their labels, in the order
    # shown. Fields not named here follow under a label made from their key, so a new column
    # is never hidden; `full_hidden` names those /show tells another way (e.g. superseding).
    full_labels: ClassVar[Mapping[str, str]] = {}
    full_hidden: ClassVar[frozenset[str]] = frozenset()
    # The free-text fields an editor may translate (`headline uk: …`; kinds/translations.py).
    translatable: ClassVar[tuple[str, ...]] = ()
    # Facts of other kinds may name a fact of this one (by key, or public id such as R12):
    # imports and edits resolve them through `Refs.fact`, exports through `ExportKeys.fact`.
    referable: ClassVar[bool] = False

    # ------------------------------------------------------------ store

    @abstractmethod
    async def load(self, session: AsyncSession, ids: Sequence[int]) -> list[ViewT]:
        """Live facts of this kind by id, as views (any order; missing ids left out)."""

    @abstractmethod
    def new_row(self, item: InT, refs: Refs, label: str) -> RowT | None:
        """A new row for an input item (not yet added), or None when a reference is unknown."""

    async def after_insert(self, session: AsyncSession, row: RowT, item: InT, refs: Refs) -> None:
        """Store what hangs off a new row once it has an id (counts, links)."""

    @abstractmethod
    async def apply(self, session: AsyncSession, row: RowT, item: InT, refs: Refs) -> None:
        """Replace a stored fact's content with an edited item (its id and key stay)."""

    async def after_change(self, session: AsyncSession, row: RowT) -> None:
        """Keep derived state in step after a create, edit or retraction (e.g. superseding)."""

    @abstractmethod
    async def search_text(self, session: AsyncSession, row: RowT) -> str:
        """The words /search finds this fact by."""

    async def snapshot(self, session: AsyncSession, row: RowT, data: dict[str, Any]) -> None:
        """Adjust the audit snapshot `data` (plain columns already in it) for people to read."""

    @abstractmethod
    async def export(
        self, session: AsyncSession, rows: Sequence[RowT], keys: ExportKeys
    ) -> list[dict[str, Any]]:
        """This kind's own fields of each row, in the import format (shared fields are added)."""

    @abstractmethod
    async def duplicates(self, session: AsyncSession, item: InT, candidates: Any) -> list[int]:
        """Ids of likely duplicates of `item` among `candidates` (a select of live rows)."""

    async def list_page(self, session: AsyncSession, *, limit: int, offset: int) -> Page[ViewT]:
        """One page of the reader's list command (kinds that declare `list_command`)."""
        raise NotImplementedError(f"{type(self).__name__} declares no list_command")

    # ------------------------------------------------------------ editors' forms

    @abstractmethod
    def build(self, values: Mapping[str, str], check: Checker) -> dict[str, Any]:
        """Typed `field: value` answers as input data (sources are added by the caller)."""

    @abstractmethod
    def form_values(self, snap: Mapping[str, Any]) -> dict[str, str]:
        """A stored fact's snapshot as the answers an editor would type (for /edit)."""

    # ------------------------------------------------------------ rendering

    @abstractmethod
    def block(self, view: ViewT) -> str:
        """The fact as one block of Telegram HTML in a list."""

    @abstractmethod
    def preview_view(self, item: InT, names: Mapping[str, str]) -> ViewT:
        """A view of a not-yet-stored item, for the editor's preview."""

    def preview_block(self, item: InT, names: Mapping[str, str]) -> str:
        """How subscribers will see a not-yet-stored item."""
        return self.block(self.preview_view(item, names))

    def preview_notes(self, item: InT) -> list[str]:
        """Lines a preview shows above the fact for what its block leaves out (HTML)."""
        return []

    def search_block(self, view: ViewT) -> str:
        """One search hit, labelled with its kind."""
        return f"{self.icon} <i>{_(self.label)}</i>\n" + self.block(view)

    def briefing_block(self, change: Change[ViewT]) -> str:
        """A new (or, with corrections_in_section, corrected) fact in the morning briefing."""
        return self.block(change.view)

    def corrected_block(self, view: ViewT) -> str:
        """A corrected fact under the briefing's Corrections heading."""
        return "✏️ <i>" + _("Corrected:") + "</i>\n" + self.block(view)

    async def preview_question(self, session: AsyncSession, item: InT) -> PreviewQuestion | None:
        """A question the editor must answer before a new fact is saved (None: nothing to ask)."""
        return None

    async def previous(self, session: AsyncSession, views: Sequence[ViewT]) -> dict[int, ViewT]:
        """For new facts that replace older ones (stances): the replaced view by new id."""
        return {}

    def full_value(self, key: str, value: Any) -> str:
        """One field of the fact in full, as HTML (kinds override it for structured fields)."""
        return full_value(value)

    def full_block(self, snap: Mapping[str, Any], retracted: Collection[str] = ()) -> str:
        """Every field of a fact's snapshot in full, one "Label: value" line each (for /show);
        `retracted`: the fields naming a fact since retracted, marked so."""
        shared = {"retracted_at", "retraction_reason", "sources", "updated_at", "created_at"}
        skip = shared | self.full_hidden | SNAPSHOT_KEYS
        labels = {**self.full_labels, **DAY_LABELS}
        keys = [k for k in labels if k in snap]
        keys += [k for k in snap if k not in labels and k not in skip]
        as_read = snapshot_when(snap, self.date_attr)
        lines = []
        for key in keys:
            shown = (
                as_read if key == self.date_attr and as_read else self.full_value(key, snap[key])
            )
            if shown and key in retracted:
                shown += " (" + esc(_("retracted")) + ")"
            if shown:
                label = _(labels[key]) if key in labels else key_label(key)
                lines.append(f"<b>{esc(label)}:</b> {shown}")
        others = snapshot_alternatives(snap)
        if others:
            lines.append(_("⚖️ <b>Other sources report</b>"))
            lines += [f"• {line}" for line in others]
        return "\n".join(lines)

    @property
    def all_fields(self) -> tuple[FieldSpec, ...]:
        """The kind's own form fields, then those every kind shares (time, lead)."""
        return self.fields + DAY_FIELDS

    def ref(self, fact_id: int) -> str:
        """The public id of a fact of this kind, e.g. 'D3'."""
        return f"{self.letter}{fact_id}"

    def fact_date(self, row: RowT) -> dt.date:
        """The date a fact is listed and searched under."""
        value: dt.date = getattr(row, self.date_attr)
        return value
