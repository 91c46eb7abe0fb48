"""One fact in full (/show): every field, every source, its history; a retraction stands out."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core.dates import format_date
from core.i18n import _
from core.text import MESSAGE_LIMIT, esc, visible_length
from kinds.common import key_label
from kinds.full import FullFact, HistoryEvent
from kinds.registry import spec_for
from kinds.translations import TRANSLATIONS_LABEL, localized_snapshot
from store.views import SourceRef


def _day(at: dt.datetime, tz: ZoneInfo) -> str:
    return format_date(at.astimezone(tz).date())


def _status(fact: FullFact, tz: ZoneInfo) -> list[str]:
    """What a reader must know first: a retracted or superseded fact is not current."""
    if fact.retracted_at is not None:
        reason = esc(fact.retraction_reason) if fact.retraction_reason else _("no reason given")
        return [
            _("🗑 <b>RETRACTED</b> on {date} — {reason}").format(
                date=_day(fact.retracted_at, tz), reason=reason
            ),
            _("<i>Kept for the record; this fact is not current.</i>"),
        ]
    if fact.successor is not None:
        since = f" ({format_date(fact.successor.date)})" if fact.successor.date else ""
        return [
            _("⚪️ <b>Superseded</b> by <code>{ref}</code>{since}; not the current one.").format(
                ref=fact.successor.ref, since=since
            )
        ]
    return []


def source_item(n: int, src: SourceRef) -> str:
    """One source in full: its name (linked), the article's title and its date."""
    name = esc(src.name)
    line = f'{n}. <a href="{esc(src.url)}">{name}</a>' if src.url else f"{n}. {name}"
    if src.title:
        line += f" — “{esc(src.title)}”"
    if src.published:
        line += f", {format_date(src.published)}"
    return line


def _labels(fact: FullFact, keys: tuple[str, ...]) -> str:
    spec = spec_for(fact.kind)
    names = [
        _(spec.full_labels[k])
        if k in spec.full_labels
        else _(TRANSLATIONS_LABEL)
        if k == "translations"
        else key_label(k)
        for k in keys
        if k not in spec.full_hidden
    ]
    return ", ".join(esc(n.lower()) for n in names)


def history_line(fact: FullFact, event: HistoryEvent, tz: ZoneInfo) -> str:
    """One history entry as readers read it: added, corrected (what), retracted (why)."""
    day = _day(event.at, tz)
    if event.action == "edit":
        line = _("✏️ Corrected {date}").format(date=day)
        what = _labels(fact, event.changed)
        return line + (f": {what}" if what else "")
    if event.action == "retract":
        reason = esc(event.note) if event.note else _("no reason given")
        return _("🗑 Retracted on {date} — {reason}").format(date=day, reason=reason)
    return _("🆕 Added {date}").format(date=day)


def full_lines(fact: FullFact, *, tz: ZoneInfo) -> list[str]:
    """The fact in full as lines of Telegram HTML; a blank line separates its parts."""
    spec = spec_for(fact.kind)
    fields, marker = localized_snapshot(fact.fields)
    lines = [f"{spec.icon} <b>{esc(_(spec.label))}</b> · <code>{fact.ref}</code>{marker}"]
    lines += _status(fact, tz)
    lines += ["", *spec.full_block(fields, fact.retracted_links).split("\n")]
    lines += ["", _("📚 <b>Sources</b>")]
    if fact.sources:
        lines += [source_item(n, src) for n, src in enumerate(fact.sources, 1)]
    else:
        lines.append(_("⚠️ <i>No source on file.</i>"))
    events = [history_line(fact, e, tz) for e in fact.history]
    if fact.successor is not None and fact.retracted_at is None:
        ref, day = fact.successor.ref, fact.successor.date
        events.append(
            _("⚪️ Superseded by <code>{ref}</code> on {date}").format(
                ref=ref, date=format_date(day)
            )
            if day
            else _("⚪️ Superseded by <code>{ref}</code>").format(ref=ref)
        )
    if events:
        lines += ["", _("🕰 <b>History</b>"), *events]
    return lines


def full_messages(fact: FullFact, *, tz: ZoneInfo) -> list[str]:
    """The fact in full: one message, or several split between lines if it is very long."""
    messages: list[str] = []
    current: list[str] = []
    length = 0
    for line in full_lines(fact, tz=tz):
        size = visible_length(line) + 1
        if current and length + size > MESSAGE_LIMIT:
            messages.append("\n".join(current).strip())
            current, length = [], 0
        current.append(line)
        length += size
    messages.append("\n".join(current).strip())
    return messages
