"""Reading an import file: every item validated on its own, every problem named by its place."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from pydantic import ValidationError

from kinds.dataset import Dataset, DatasetBase, item_label
from kinds.registry import SPECS

# Real files nest four levels; the limit is checked before parsing, so deep files cannot
# exhaust the parser's recursion.
MAX_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def _too_deep(raw: bytes) -> bool:
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub(b"", raw)):
        depth += 1 if bracket.group() in (b"[", b"{") else -1
        if depth > MAX_DEPTH:
            return True
    return False


def _duplicate_keys(data: dict[str, Any]) -> list[str]:
    """A key may appear once per list; the second one is an error, not "already present"."""
    problems = []
    for section, items in data.items():
        if not isinstance(items, list):
            continue
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            key = item.get("key") if isinstance(item, dict) else None
            if not isinstance(key, str):
                continue
            if key in first:
                problems.append(
                    f"{item_label(section, index, item)}: key “{key}” appears twice in {section} "
                    f"(first at {section}[{first[key]}])"
                )
            else:
                first[key] = index
    return problems


# The lists whose items others may name; a refused one is reported once, not at each mention.
_REFERABLE = {
    "parties": "party",
    "issues": "issue",
    "sources": "source",
    **{spec.section: spec.kind.value for spec in SPECS if spec.referable},
}


@dataclass
class Parsed:
    """What a file holds that validates, and every problem found in it, in one pass."""

    dataset: DatasetBase | None
    problems: list[str] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # "party:key" of refused declarations
    # Refused facts as written (list name, index, raw item): their references are checked too.
    invalid: list[tuple[str, int, Any]] = field(default_factory=list)
    # Where each valid item stands in the file (its list's index), for the paths of problems.
    indices: dict[str, list[int]] = field(default_factory=dict)


def _problem(data: dict[str, Any], err: Any, prefix: tuple[Any, ...] = ()) -> str:
    loc = (*prefix, *err["loc"])
    where = ".".join(str(p) for p in loc)
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        section = data.get(loc[0])
        item = section[loc[1]] if isinstance(section, list) else None
        rest = ".".join(str(p) for p in loc[2:]) or "item"
        where = f"{item_label(loc[0], loc[1], item)}: {rest}"
    return f"{where}: {err['msg']}"


def parse_items(raw: bytes | str) -> Parsed:
    """Read a file and validate every item on its own: the valid ones, and all problems."""
    if _too_deep(raw.encode() if isinstance(raw, str) else raw):
        return Parsed(
            None, [f"the JSON is nested more than {MAX_DEPTH} levels deep; this is no import file"]
        )
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Parsed(None, [f"not a JSON file: {exc}"])
    if not isinstance(data, dict):
        return Parsed(None, ["the file must hold one JSON object (see docs/data-format.md)"])
    parsed = Parsed(None)
    lists = {n: i for n, i in Dataset.model_fields.items() if get_origin(i.annotation) is list}
    top = {k: ([] if k in lists else v) for k, v in data.items()}
    try:
        Dataset.model_validate(top)
    except ValidationError as exc:
        parsed.problems += [_problem(data, err) for err in exc.errors()]
    valid: dict[str, list[Any]] = {}
    for name, info in lists.items():
        items = data.get(name, [])
        if not isinstance(items, list):
            continue  # reported above
        (model,) = get_args(info.annotation)
        valid[name] = []
        parsed.indices[name] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            key = item.get("key") if isinstance(item, dict) else None
            if isinstance(key, str) and key in seen:
                continue  # a duplicate: reported by _duplicate_keys, never written
            if isinstance(key, str):
                seen.add(key)
            try:
                valid[name].append(model.model_validate(item))
                parsed.indices[name].append(index)
            except ValidationError as exc:
                parsed.problems += [_problem(data, e, (name, index)) for e in exc.errors()]
                key = item.get("key") if isinstance(item, dict) else None
                if name in _REFERABLE and isinstance(key, str):
                    parsed.refused.add(f"{_REFERABLE[name]}:{key}")
                elif isinstance(item, dict):
                    parsed.invalid.append((name, index, item))
    parsed.problems += _duplicate_keys(data)
    construct: Any = Dataset.model_construct
    parsed.dataset = construct(**valid)
    return parsed


def parse_dataset(raw: bytes | str) -> tuple[DatasetBase | None, list[str]]:
    """Parse and validate a file; on failure return every problem, each naming its item."""
    parsed = parse_items(raw)
    if parsed.problems:
        return None, parsed.problems
    return parsed.dataset, []
