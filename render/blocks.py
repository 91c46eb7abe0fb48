"""Turn fact views into Telegram HTML: every stored string escaped, every fact with its sources."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from core.dates import format_date, format_date_range
from store.audit import fact_ref
from store.models import FactKind
from store.views import (
    ExchangeView,
    Fact,
    PositionView,
    RoundView,
    SourceRef,
    UpdateView,
    YearTotals,
)

# Telegram counts the text left after entity parsing; keep a margin under its 4096.
MESSAGE_LIMIT = 4000
MAX_SOURCES_SHOWN = 3

_TAG = re.compile(r"<[^>]+>")


def esc(value: object) -> str:
    """Escape a stored string for Telegram HTML."""
    return html.escape(str(value), quote=True)


def clip(value: str, limit: int) -> str:
    """Shorten a stored string to `limit` characters, marking the cut with an ellipsis."""
    value = " ".join(value.split())
    if len(value) <= limit:
        return value
    return value[: limit - 1].rstrip() + "…"


def visible_length(html_text: str) -> int:
    """How long Telegram will count a message: tags dropped, entities decoded, UTF-16 units."""
    plain = html.unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def number(n: int) -> str:
    """A count with thousands separators, e.g. 1,000."""
    return f"{n:,}"


def people(n: int | None) -> str:
    """A number of people, or that it was not announced."""
    if n is None:
        return "not announced"
    return f"{number(n)} {'person' if n == 1 else 'people'}"


def source_line(sources: Sequence[SourceRef]) -> str:
    """'Source: Reuters, 2 Jun 2025' with links where known; says so when there is none."""
    if not sources:
        return "⚠️ <i>No source on file.</i>"
    parts = []
    for src in sources[:MAX_SOURCES_SHOWN]:
        name = esc(clip(src.name, 60))
        label = f'<a href="{esc(src.url)}">{name}</a>' if src.url else name
        if src.published:
            label += f", {format_date(src.published)}"
        parts.append(label)
    more = len(sources) - MAX_SOURCES_SHOWN
    tail = f" and {more} more" if more > 0 else ""
    noun = "Source" if len(sources) == 1 else "Sources"
    return f"<i>{noun}:</i> " + "; ".join(parts) + tail


def update_block(u: UpdateView) -> str:
    """One news update: date, headline, summary, sources."""
    lines = [f"📅 <b>{format_date(u.date)}</b> — <b>{esc(clip(u.headline, 160))}</b>"]
    if u.summary:
        lines.append(esc(clip(u.summary, 360)))
    lines.append(source_line(u.sources))
    return "\n".join(lines)


def position_line(p: PositionView, *, label: str | None = None, history: bool = False) -> str:
    """One stance: who (party by default), stance, as-of date, sources; history marks status."""
    who = esc(clip(label if label is not None else p.party, 90))
    mark, status = "• ", ""
    if history:
        mark = "🟢 " if p.is_current else "⚪️ "
        status = " (current)" if p.is_current else " (superseded)"
    return (
        f"{mark}<b>{who}</b>: {esc(clip(p.stance, 300))}\n"
        f"   <i>as of {format_date(p.as_of)}{status}</i> · {source_line(p.sources)}"
    )


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


def exchange_block(x: ExchangeView) -> str:
    """One exchange: status (agreed ones stand out), dates, people returned, details, sources."""
    when = format_date_range(x.date, x.end_date)
    if x.status == "agreed":
        head = f"⏳ <b>AGREED, NOT YET CARRIED OUT</b> · agreed {when}"
    else:
        head = f"✅ <b>Completed</b> · {when}"
    lines = [head]
    if x.counts:
        returned = " · ".join(
            f"to {esc(clip(c.party, 40))}: {people(c.returned)}" for c in x.counts
        )
        lines.append(f"Returned {returned}")
    if x.categories:
        lines.append("Who: " + esc(clip(", ".join(x.categories), 200)))
    if x.mediator:
        lines.append("Mediator: " + esc(clip(x.mediator, 120)))
    if x.round_title or x.round_date:
        label = x.round_title or "talks"
        on = f" ({format_date(x.round_date)})" if x.round_date else ""
        lines.append(f"Agreed at: {esc(clip(label, 100))}{on}")
    if x.note:
        lines.append("Note: " + esc(clip(x.note, 300)))
    lines.append(source_line(x.sources))
    return "\n".join(lines)


def totals_block(totals: Sequence[YearTotals]) -> str:
    """People returned to each side per year, over completed exchanges."""
    if not totals:
        return "<i>No completed exchanges on file yet.</i>"
    lines = []
    for t in totals[:3]:
        sides = " · ".join(f"{esc(c.party)}: {people(c.returned)}" for c in t.per_party)
        noun = "exchange" if t.exchanges == 1 else "exchanges"
        lines.append(
            f"<b>{t.year} totals</b> ({t.exchanges} completed {noun}): "
            f"{sides or 'numbers not announced'}"
        )
    return "\n".join(lines)


def round_block(r: RoundView) -> str:
    """One round of talks: date, place, mediator, delegations, duration, outcome, sources."""
    title = r.title or "Round of talks"
    where = ", ".join(esc(clip(v, 80)) for v in (r.place, r.venue) if v)
    lines = [
        f"🤝 <b>{esc(clip(title, 120))}</b>",
        f"📅 {format_date_range(r.date, r.end_date)}" + (f" · 📍 {where}" if where else ""),
    ]
    if r.mediator:
        lines.append("Mediator: " + esc(clip(r.mediator, 150)))
    if r.delegations:
        heads = "; ".join(
            f"{esc(clip(d.party, 40))} — {esc(clip(d.head, 80)) if d.head else 'not named'}"
            for d in r.delegations[:6]
        )
        lines.append("Delegations: " + heads)
    if r.duration:
        lines.append("Duration: " + esc(clip(r.duration, 80)))
    if r.outcome:
        lines.append("Outcome: " + esc(clip(r.outcome, 600)))
    lines.append(source_line(r.sources))
    return "\n".join(lines)


def search_block(fact: Fact) -> str:
    """One search hit, labelled with its kind."""
    if isinstance(fact, UpdateView):
        return "📰 <i>Update</i>\n" + update_block(fact)
    if isinstance(fact, PositionView):
        return "🧭 <i>Position</i>\n" + position_line(
            fact, label=f"{fact.party} on {fact.issue}", history=True
        )
    if isinstance(fact, ExchangeView):
        return "🔁 <i>Prisoner exchange</i>\n" + exchange_block(fact)
    return "🤝 <i>Round of talks</i>\n" + round_block(fact).removeprefix("🤝 ")


def fact_kind(fact: Fact) -> FactKind:
    """The kind of a fact view."""
    if isinstance(fact, UpdateView):
        return FactKind.UPDATE
    if isinstance(fact, PositionView):
        return FactKind.POSITION
    if isinstance(fact, ExchangeView):
        return FactKind.EXCHANGE
    return FactKind.ROUND


def with_refs(blocks: Sequence[str], facts: Sequence[Fact], show: bool) -> list[str]:
    """For editors, end each block with its fact's id (U12, P3…), the handle /edit takes."""
    if not show:
        return list(blocks)
    return [
        f"{block} · <code>{fact_ref(fact_kind(fact), fact.id)}</code>"
        for block, fact in zip(blocks, facts, strict=True)
    ]


def join_blocks(header: str, blocks: Sequence[str], footer: str = "") -> tuple[str, int]:
    """Header plus as many blocks as fit in one message; returns the text and how many fit."""
    # Tags and entities never span blocks, so visible lengths add up block by block.
    parts = [header] if header else []
    length = visible_length(header) + visible_length(footer)
    used = 0
    for block in blocks:
        grown = length + visible_length(block) + (2 if parts else 0)
        if used and grown > MESSAGE_LIMIT:
            break
        parts.append(block)
        length = grown
        used += 1
    return "\n\n".join(parts) + footer, used
