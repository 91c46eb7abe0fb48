"""The morning briefing as Telegram HTML messages, split cleanly at fact boundaries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core.dates import format_date
from core.i18n import ngettext
from core.text import clip, esc
from kinds.audit import fact_ref
from kinds.common import source_line
from kinds.digest import Digest
from kinds.registry import reader_specs, spec_for
from render.blocks import join_blocks


def _since_label(since: dt.datetime, tz: ZoneInfo) -> str:
    local = since.astimezone(tz)
    return f"{format_date(local.date())} {local:%H:%M} ({tz.key} time)"


def briefing_blocks(digest: Digest) -> list[str]:
    """Every fact of a digest as a block, grouped by kind with a heading on the first of each."""
    sections: list[tuple[str, list[str]]] = [
        (spec.briefing_heading, [spec.briefing_block(c) for c in digest.section(spec.kind)])
        for spec in reader_specs()
    ]
    sections += [
        (
            "✏️ <b>Corrections</b>",
            [spec_for(kind).corrected_block(view) for kind, view in digest.corrected],
        ),
        (
            "🗑 <b>Retracted</b>",
            [
                f"• {fact_ref(r.kind, r.fact_id)} “{esc(clip(r.label, 120))}” — "
                f"{esc(clip(r.reason, 200)) or 'no reason given'}"
                for r in digest.retracted
            ],
        ),
    ]
    blocks: list[str] = []
    for heading, items in sections:
        for i, item in enumerate(items):
            blocks.append(f"{heading}\n{item}" if i == 0 else item)
    return blocks


def briefing_messages(digest: Digest, *, tz: ZoneInfo, today: dt.date) -> list[str]:
    """The briefing for one reader: one message if it fits, else split between facts."""
    title = f"☀️ <b>Morning briefing</b> · {format_date(today)}"
    if digest.quiet:
        text = f"{title}\nNo new developments since {_since_label(digest.since, tz)}."
        if digest.latest is not None:
            latest = digest.latest
            text += (
                f"\n\nMost recent: {format_date(latest.date)} — "
                f"<b>{esc(clip(latest.headline, 160))}</b>\n{source_line(latest.sources)}"
            )
        return [text]
    header = f"{title}\n<i>What is new since {_since_label(digest.since, tz)}</i>"
    if digest.differ:
        header += "\n" + differ_note(digest.differ)
    blocks = briefing_blocks(digest)
    messages: list[str] = []
    while blocks:
        # join_blocks always takes at least one block; clipped fields keep any block short.
        # Room is kept for the "rest follows" line, so that no part is ever a silent half.
        text, used = join_blocks(header, blocks, _rest_follows(99, 99))
        messages.append(text)
        blocks = blocks[used:]
        header = f"{title} (continued)"
    last = len(messages) - 1
    return [
        m + (_rest_follows(i + 1, last + 1) if i < last else "") for i, m in enumerate(messages)
    ]


def differ_note(count: int) -> str:
    """The briefing's line saying that sources disagree on some of its facts."""
    return ngettext(
        "⚖️ <i>Sources differ on {count} fact below: each version is shown with its source.</i>",
        "⚖️ <i>Sources differ on {count} facts below: each version is shown with its source.</i>",
        count,
    ).format(count=count)


def _rest_follows(part: int, parts: int) -> str:
    return f"\n\n<i>Part {part} of {parts} — the rest follows.</i>"
