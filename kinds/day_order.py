"""Order within a day, declared once for every kind: an event time and the editor's "lead".

Every fact table has the columns (`FactBase`), every input the keys `time` and `lead`
(`FactIn`), every form the fields below, and every list that sorts by date sorts by
`day_order` within a day: the lead story first, then later events before earlier ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sqlmodel import col

from core.i18n import N_, _
from kinds.forms import Checker, FieldSpec, canon

_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_YES = frozenset({"yes", "y", "true", "1", "lead", "так", "да"})
_NO = frozenset({"no", "n", "false", "0", "ні", "нет"})


def read_time(check: Checker, value: str | None) -> dt.time | None:
    """An event time typed as HH:MM (24-hour), or None (with a problem noted)."""
    if not value or not value.strip():
        return None
    match = _TIME.match(value.strip())
    if match is not None and int(match[1]) < 24 and int(match[2]) < 60:
        return dt.time(int(match[1]), int(match[2]))
    check.errors.append(
        _("time: write it as HH:MM, e.g. 14:30 (got “{value}”).").format(value=value.strip()[:20])
    )
    return None


def read_lead(check: Checker, value: str | None) -> bool | None:
    """`lead: yes` or `lead: no`; None when not given."""
    if not value or not value.strip():
        return None
    answer = canon(value)
    if answer in _YES:
        return True
    if answer in _NO:
        return False
    check.errors.append(_("lead: answer yes or no."))
    return None


# Their labels in /show, as readers read them ("Lead: yes" said nothing to a reader).
DAY_LABELS = {"time": N_("Time of day"), "lead": N_("Lead story of the day")}

DAY_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "time", False, "At what time that day? HH:MM (/skip)", ("event time", "at"), read_time
    ),
    FieldSpec(
        "lead", False, "The day's lead story? yes or no (/skip)", ("prominence", "top"), read_lead
    ),
)


def build_day(values: Mapping[str, str], check: Checker) -> dict[str, Any]:
    """The typed `time:` and `lead:` answers as input data."""
    return {
        "time": read_time(check, values.get("time")),
        "lead": read_lead(check, values.get("lead")),
    }


def day_values(snap: Mapping[str, Any]) -> dict[str, str]:
    """A stored fact's time and lead as an editor would type them (for /edit)."""
    values: dict[str, str] = {}
    if snap.get("event_time"):
        values["time"] = str(snap["event_time"])[:5]
    if snap.get("lead"):
        values["lead"] = "yes"
    return values


def set_day(row: Any, item: Any) -> None:
    """Copy an input item's time and lead onto its row."""
    row.event_time = item.time
    row.lead = bool(item.lead)


def export_day(row: Any) -> dict[str, Any]:
    """A row's time and lead in the import format (left out when unset)."""
    return {"time": row.event_time, "lead": True if row.lead else None}


def day_order(model: Any, date_column: Any) -> list[Any]:
    """ORDER BY for newest-first lists: date, then the lead, then later times first, then id."""
    return [
        col(date_column).desc(),
        col(model.lead).desc(),
        col(model.event_time).desc().nulls_last(),
        col(model.id).desc(),
    ]


def day_note(event_time: dt.time | None) -> str:
    """', 14:30' after a date, or nothing."""
    return f", {event_time:%H:%M}" if event_time is not None else ""


def day_preview(item: Any) -> list[str]:
    """Preview lines for a fact's time and lead (HTML; nothing when unset)."""
    parts = []
    if getattr(item, "time", None) is not None:
        parts.append(_("🕑 Time: {time}").format(time=f"{item.time:%H:%M}"))
    if getattr(item, "lead", None):
        parts.append(_("⭐ The day's lead story (listed first)"))
    return [" · ".join(parts)] if parts else []
