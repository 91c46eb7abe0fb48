"""The shape of an import or export file: the shared lists, then one list per kind."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import create_model

from kinds.registry import SPECS, AnySpec
from store.transfer import IssueIn, PartyIn, SourceIn, StrictModel


class DatasetBase(StrictModel):
    """What a file holds besides its facts: format, title, parties, issues and sources."""

    format: Literal["peace-briefing/1"] = "peace-briefing/1"
    title: str | None = None
    exported_at: dt.datetime | None = None
    parties: list[PartyIn] = []
    issues: list[IssueIn] = []
    sources: list[SourceIn] = []


def _list_of(item: type[Any]) -> Any:
    return list[item]  # type: ignore[valid-type]


# A whole import or export file: the shared lists, then one list per kind (rounds first).
Dataset: type[DatasetBase] = create_model(  # type: ignore[call-overload]
    "Dataset",
    __base__=DatasetBase,
    __doc__="A whole import or export file.",
    **{spec.section: (_list_of(spec.input), []) for spec in SPECS},
)


def section_of(dataset: DatasetBase, spec: AnySpec) -> list[Any]:
    """The facts of one kind in a dataset."""
    items: list[Any] = getattr(dataset, spec.section)
    return items


def item_label(section: str, index: int, item: Any) -> str:
    """Where an item stands in a file, as problems name it: `updates[3] (its-key)`."""
    key = item.get("key") if isinstance(item, dict) else getattr(item, "key", None)
    return f"{section}[{index}]" + (f" ({key})" if key else "")


def dump_dataset(dataset: DatasetBase) -> str:
    """The dataset as pretty JSON text."""
    return dataset.model_dump_json(indent=2, exclude_none=True) + "\n"
