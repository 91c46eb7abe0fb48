"""Correction notices: what changed in a fact a reader was sent, in a few words (HTML)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from core.dates import format_date
from core.i18n import _, ngettext
from core.links import fact_url
from core.settings import Settings
from core.text import clip, esc, number
from kinds.audit import fact_ref
from kinds.common import key_label
from kinds.registry import spec_for
from kinds.translations import TRANSLATION_KEYS
from store.notices import NoticeItem

MAX_ITEMS = 10
MAX_CHANGES = 3
# A translation is no correction: readers are not told of it (kinds/editing.py).
NOT_COMPARED = frozenset({"updated_at", "retracted_at", "retraction_reason"}) | TRANSLATION_KEYS
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _value(value: Any) -> str:
    """A snapshot value as a reader reads it: dates spelled out, counts with separators."""
    if value is None or value in ("", [], {}):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return number(value)
    if isinstance(value, str):
        if _ISO_DAY.fullmatch(value):
            return format_date(dt.date.fromisoformat(value))
        return value
    if isinstance(value, dict):
        return ", ".join(f"{k} {'?' if v is None else _value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(
            " ".join(_value(v) for v in x.values() if v) if isinstance(x, dict) else _value(x)
            for x in value
        )
    return str(value)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    names = [k for k in dict.fromkeys([*before, *after]) if k not in NOT_COMPARED]
    changed = [k for k in names if before.get(k) != after.get(k)]
    shown = [
        _("{field}: {new} (not {old})").format(
            field=esc(key_label(k).lower()),
            new=esc(clip(_value(after.get(k)), 100)),
            old=esc(clip(_value(before.get(k)), 100)),
        )
        for k in changed[:MAX_CHANGES]
    ]
    if len(changed) > MAX_CHANGES:
        more = len(changed) - MAX_CHANGES
        shown.append(ngettext("and {n} more change", "and {n} more changes", more).format(n=more))
    return shown


def _sent_in(key: str | None) -> str:
    """'Tue 3 Jun 2025's briefing' for the delivery the reader got the fact in."""
    kind, _sep, rest = (key or "").partition(":")
    if kind == "briefing" and _ISO_DAY.fullmatch(rest):
        return _("{date}'s briefing").format(date=format_date(dt.date.fromisoformat(rest)))
    if kind == "broadcast":
        return _("a broadcast")
    return _("an earlier message")


def _what(item: NoticeItem) -> str:
    """'prisoner exchange X12 (Sun 25 May 2025)': the kind, its id and what names it."""
    spec = spec_for(item.kind)
    title = item.before.get(spec.title_attr) or item.after.get(spec.title_attr)
    named = f" ({esc(clip(_value(title), 80))})" if title else ""
    return f"{esc(_(spec.noun))} {fact_ref(item.kind, item.fact_id)}{named}"


def notice_line(item: NoticeItem, settings: Settings | None = None) -> str:
    """One fact's notice: what changed (or that it was retracted, why) and where to see it."""
    ref = fact_ref(item.kind, item.fact_id)
    url = fact_url(settings, ref) if settings is not None else None
    link = f' · <a href="{esc(url)}">🔗 {ref}</a>' if url else ""
    if item.action == "retract":
        head = _("🗑 <b>Retracted</b>, from {sent_in}: {what} — {reason}").format(
            sent_in=_sent_in(item.sent_in),
            what=_what(item),
            reason=esc(clip(item.reason or _("no reason given"), 200)),
        )
    else:
        changes = _changes(item.before, item.after) or [_("details corrected")]
        head = _("✏️ <b>Correction</b> to {sent_in}: {what} — {changes}").format(
            sent_in=_sent_in(item.sent_in), what=_what(item), changes="; ".join(changes)
        )
    return f"{head}\n/show {ref}{link}"


def notice_text(items: Sequence[NoticeItem], settings: Settings | None = None) -> str:
    """One chat's notice message: a line per fact corrected or retracted in the hour."""
    lines = [notice_line(item, settings) for item in items[:MAX_ITEMS]]
    if len(items) > MAX_ITEMS:
        more = len(items) - MAX_ITEMS
        lines.append(ngettext("…and {n} more fact.", "…and {n} more facts.", more).format(n=more))
    if len(lines) == 1:
        return lines[0]
    head = _("📨 <b>Corrections to facts you were sent</b>")
    return head + "\n\n" + "\n\n".join(lines)
