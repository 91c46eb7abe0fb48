"""Every fact kind, in the order they are imported, exported, listed and briefed.

Adding a kind: a FactKind member (kinds/base.py), its module, and one line here. Importing this
module checks that every kind has a spec and that each spec is complete, so a missing piece
fails at start-up (and in every test), never silently.
"""

from __future__ import annotations

from typing import Any

from kinds import document, exchange, position, round, update
from kinds.base import FactKind, KindSpec

AnySpec = KindSpec[Any, Any, Any]

# Rounds first: updates, exchanges and documents may point at them.
SPECS: tuple[AnySpec, ...] = (
    round.SPEC,
    update.SPEC,
    position.SPEC,
    exchange.SPEC,
    document.SPEC,
)
# The order readers see kinds in (briefing sections, /help).
READER_ORDER: tuple[FactKind, ...] = (
    FactKind.UPDATE,
    FactKind.POSITION,
    FactKind.EXCHANGE,
    FactKind.ROUND,
    FactKind.DOCUMENT,
)

BY_KIND: dict[FactKind, AnySpec] = {spec.kind: spec for spec in SPECS}
BY_LETTER: dict[str, AnySpec] = {spec.letter: spec for spec in SPECS}
BY_COMMAND: dict[str, AnySpec] = {spec.add_command: spec for spec in SPECS}


def spec_for(kind: FactKind | str) -> AnySpec:
    """The spec of a kind (a FactKind or its stored value)."""
    return BY_KIND[FactKind(kind)]


def reader_specs() -> list[AnySpec]:
    """Every spec in the order readers see kinds."""
    return [BY_KIND[kind] for kind in READER_ORDER]


def _check() -> None:
    missing = set(FactKind) - set(BY_KIND)
    if missing or set(READER_ORDER) != set(FactKind):
        raise RuntimeError(f"fact kinds without a spec or reader order: {sorted(missing)}")
    for name, index in (("letter", BY_LETTER), ("section", None), ("add_command", BY_COMMAND)):
        values = [getattr(spec, name) for spec in SPECS]
        if len(set(values)) != len(values) or (index is not None and len(index) != len(SPECS)):
            raise RuntimeError(f"two fact kinds share a {name}: {values}")
    for spec in SPECS:
        if spec.lead_field not in {f.name for f in spec.fields}:
            raise RuntimeError(f"{spec.kind}: lead field {spec.lead_field!r} is not a field")
        names = {f.name for f in spec.fields}
        if not set(spec.translatable) <= names & set(spec.input.model_fields):
            raise RuntimeError(
                f"{spec.kind}: translatable fields must be its form and input fields"
            )
        overridden = type(spec).list_page is not KindSpec.list_page
        if bool(spec.list_command) != overridden:
            raise RuntimeError(f"{spec.kind}: list_command and list_page go together")


_check()
