"""What a chat follows: kinds of fact (exchanges, rounds…) and issues (ceasefire, NATO…).

Stored on the subscription as comma-separated `kind:exchange` and `issue:ceasefire` items. A
briefing then carries only the facts of those kinds or about those issues (a fact is about an
issue when its text names it: its name, key or an alias), new, corrected or retracted alike.
What a chat was sent before it chose its topics is not lost: its correction reaches the chat
as a correction notice (store/notices.py), which follows what was sent, not the topics.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.base import FactKind
from kinds.digest import Digest
from kinds.registry import SPECS, spec_for
from store.models import SearchDoc
from store.queries import NamedThing, match_name, normalize_name, parties_and_issues

MAX_INTERESTS = 12
_SPLIT = re.compile(r"[,;]+")


def kind_names() -> dict[str, FactKind]:
    """Every name a kind answers to: its list (exchanges), its kind (exchange), its noun."""
    names: dict[str, FactKind] = {}
    for spec in SPECS:
        for name in (spec.section, spec.kind.value, spec.noun, spec.label, spec.list_command):
            if name:
                names.setdefault(normalize_name(name), spec.kind)
    names.setdefault("news", FactKind.UPDATE)
    return names


@dataclass(frozen=True, slots=True)
class Interests:
    """Parsed interests: the kinds followed and the issues followed (as name matching sees them)."""

    kinds: frozenset[FactKind]
    issues: tuple[NamedThing, ...]

    def stored(self) -> str:
        """The column value: kinds, then issue keys."""
        items = [f"kind:{k.value}" for k in sorted(self.kinds, key=lambda k: k.value)]
        items += [f"issue:{i.key}" for i in self.issues]
        return ",".join(items)

    def describe(self) -> str:
        """For people: "prisoner exchanges, Ceasefire" (plain text, to be escaped)."""
        kinds = [spec_for(k).section for k in sorted(self.kinds, key=lambda k: k.value)]
        return ", ".join([*kinds, *(i.name for i in self.issues)])


@dataclass(frozen=True, slots=True)
class Unknown:
    """A name that is neither a kind nor an issue, with close issues to suggest."""

    name: str
    suggestions: tuple[str, ...]


async def parse_interests(session: AsyncSession, text: str) -> Interests | Unknown:
    """Read "exchanges, ceasefire" into Interests, or the first unknown name."""
    kinds = kind_names()
    issues = [t for t in await parties_and_issues(session) if t.kind == "issue"]
    found_kinds: set[FactKind] = set()
    found_issues: dict[str, NamedThing] = {}
    for raw in _SPLIT.split(text)[: MAX_INTERESTS + 1]:
        name = " ".join(raw.split())
        if not name:
            continue
        kind = kinds.get(normalize_name(name))
        if kind is not None:
            found_kinds.add(kind)
            continue
        match = match_name(name, issues)
        if match.found is None:
            close = tuple(t.key for t in match.suggestions)
            if not close:
                close = tuple(n for n in kinds if n.startswith(normalize_name(name)[:3]))[:3]
            return Unknown(name[:40], close)
        found_issues.setdefault(match.found.key, match.found)
    return Interests(frozenset(found_kinds), tuple(found_issues.values()))


async def load_interests(session: AsyncSession, stored: str | None) -> Interests | None:
    """The Interests a column value names (None: everything); issues no longer stored drop."""
    if not stored:
        return None
    items = [item.split(":", 1) for item in stored.split(",") if ":" in item]
    values = {k.value: k for k in FactKind}
    kinds = frozenset(values[v] for t, v in items if t == "kind" and v in values)
    wanted = [v for t, v in items if t == "issue"]
    by_key = {t.key: t for t in await parties_and_issues(session) if t.kind == "issue"}
    issues = tuple(by_key[k] for k in wanted if k in by_key)
    return Interests(kinds, issues)


def _names(text: str, issue: NamedThing) -> bool:
    body = f" {normalize_name(text)} "
    labels = (issue.key.replace("-", " "), issue.name, *issue.aliases)
    return any(f" {normalize_name(label)} " in body for label in labels if normalize_name(label))


async def _texts(session: AsyncSession, refs: Sequence[tuple[FactKind, int]]) -> dict[Any, str]:
    if not refs:
        return {}
    rows = await session.exec(
        select(SearchDoc.fact_kind, SearchDoc.fact_id, SearchDoc.body).where(
            or_(
                *(
                    and_(col(SearchDoc.fact_kind) == kind.value, col(SearchDoc.fact_id) == fid)
                    for kind, fid in refs
                )
            )
        )
    )
    return {(FactKind(kind), int(fid)): str(body) for kind, fid, body in rows.all()}


async def _retracted_texts(
    session: AsyncSession, refs: Sequence[tuple[FactKind, int]]
) -> dict[Any, str]:
    """The words of retracted facts (their search documents are gone): from their rows."""
    texts: dict[Any, str] = {}
    for kind, fact_id in refs:
        spec = spec_for(kind)
        row = await session.get(spec.table, fact_id)
        if row is not None:
            texts[(kind, fact_id)] = await spec.search_text(session, row)
    return texts


async def for_interests(session: AsyncSession, digest: Digest, interests: Interests) -> Digest:
    """The part of a digest a chat follows: the facts of its kinds or naming its issues.

    New facts, corrections and retractions alike: a correction or retraction stays when the fact
    (as it now reads; a retracted one as it last read) is of a kind the chat follows or names
    one of its issues. A chat told only of what it follows is told of their corrections; a fact
    it was sent otherwise (before it chose its topics) reaches it as a correction notice.
    """
    refs = [
        (kind, change.view.id)
        for kind, changes in digest.sections.items()
        if kind not in interests.kinds
        for change in changes
    ]
    refs += [(kind, view.id) for kind, view in digest.corrected if kind not in interests.kinds]
    texts = await _texts(session, refs)
    texts |= await _retracted_texts(
        session, [(r.kind, r.fact_id) for r in digest.retracted if r.kind not in interests.kinds]
    )

    def followed(kind: FactKind, fact_id: int) -> bool:
        if kind in interests.kinds:
            return True
        text = texts.get((kind, fact_id), "")
        return any(_names(text, issue) for issue in interests.issues)

    sections = {
        kind: [c for c in changes if followed(kind, c.view.id)]
        for kind, changes in digest.sections.items()
    }
    return dataclasses.replace(
        digest,
        sections=sections,
        corrected=[(kind, view) for kind, view in digest.corrected if followed(kind, view.id)],
        retracted=[r for r in digest.retracted if followed(r.kind, r.fact_id)],
    )
