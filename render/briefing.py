"""The morning briefing as Telegram HTML messages, split cleanly at fact boundaries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core.dates import format_date
from render.blocks import (
    clip,
    esc,
    exchange_block,
    join_blocks,
    position_line,
    round_block,
    source_line,
    update_block,
)
from store.audit import fact_ref
from store.digest import Digest
from store.views import PositionView, RoundView, UpdateView


def _since_label(since: dt.datetime, tz: ZoneInfo) -> str:
    local = since.astimezone(tz)
    return f"{format_date(local.date())} {local:%H:%M} ({tz.key} time)"


def _position_change(new: PositionView, old: PositionView | None) -> str:
    if old is None:
        return position_line(new, label=f"{new.party} on {new.issue} (new)")
    return (
        f"• <b>{esc(clip(new.party, 60))} on {esc(clip(new.issue, 60))}</b>: "
        f"<s>{esc(clip(old.stance, 200))}</s> → {esc(clip(new.stance, 300))}\n"
        f"   <i>as of {format_date(new.as_of)}, was {format_date(old.as_of)}</i> · "
        f"{source_line(new.sources)}"
    )


def _corrected(fact: UpdateView | PositionView | RoundView) -> str:
    if isinstance(fact, UpdateView):
        return "✏️ <i>Corrected:</i>\n" + update_block(fact)
    if isinstance(fact, PositionView):
        return "✏️ <i>Corrected:</i>\n" + position_line(fact, label=f"{fact.party} on {fact.issue}")
    return "✏️ <i>Corrected:</i>\n" + round_block(fact)


def briefing_blocks(digest: Digest) -> list[str]:
    """Every fact of a digest as a block, grouped by kind with a heading on the first of each."""
    sections: list[tuple[str, list[str]]] = [
        ("📰 <b>New updates</b>", [update_block(u) for u in digest.updates]),
        (
            "🧭 <b>Position changes</b>",
            [_position_change(new, old) for new, old in digest.positions],
        ),
        (
            "🔁 <b>Prisoner exchanges</b>",
            [
                ("🆕 " if fresh else "🔄 <i>Updated:</i> ") + exchange_block(x)
                for x, fresh in digest.exchanges
            ],
        ),
        ("🤝 <b>Rounds of talks</b>", [round_block(r) for r in digest.rounds]),
        ("✏️ <b>Corrections</b>", [_corrected(f) for f in digest.corrected]),
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
    blocks = briefing_blocks(digest)
    messages: list[str] = []
    while blocks:
        # join_blocks always takes at least one block; clipped fields keep any block short.
        text, used = join_blocks(header, blocks)
        messages.append(text)
        blocks = blocks[used:]
        header = f"{title} (continued)"
    return messages
