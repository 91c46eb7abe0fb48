"""The morning briefing as Telegram HTML messages, split cleanly at fact boundaries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core.dates import format_date
from core.i18n import _, ngettext
from core.text import clip, esc
from core.zones import zone_city
from kinds.audit import fact_ref
from kinds.base import FactKind
from kinds.common import source_line
from kinds.digest import Digest
from kinds.registry import reader_specs, spec_for
from render.blocks import join_blocks

Ref = tuple[str, int]  # (fact kind, fact id) of a fact a briefing shows


def _since_label(since: dt.datetime, tz: ZoneInfo) -> str:
    local = since.astimezone(tz)
    return _("{date} {time} ({city} time)").format(
        date=format_date(local.date()), time=f"{local:%H:%M}", city=zone_city(tz.key)
    )


def _no_reason() -> str:
    return _("no reason given")


def briefing_items(digest: Digest) -> list[tuple[str, Ref | None]]:
    """Every fact of a digest as a block with the fact it shows (None: a retraction notice),
    grouped by kind with a heading on the first of each."""
    sections: list[tuple[str, list[tuple[str, Ref | None]]]] = [
        (
            _(spec.briefing_heading),
            [
                (spec.briefing_block(c), (spec.kind.value, c.view.id))
                for c in digest.section(spec.kind)
            ],
        )
        for spec in reader_specs()
    ]
    sections += [
        (
            _("✏️ <b>Corrections</b>"),
            [
                (spec_for(kind).corrected_block(view), (kind.value, view.id))
                for kind, view in digest.corrected
            ],
        ),
        (
            _("🗑 <b>Retracted</b>"),
            [
                (
                    f"• {fact_ref(r.kind, r.fact_id)} “{esc(clip(r.label, 120))}” — "
                    f"{esc(clip(r.reason, 200)) or _no_reason()}",
                    None,
                )
                for r in digest.retracted
            ],
        ),
    ]
    items: list[tuple[str, Ref | None]] = []
    for heading, blocks in sections:
        for i, (block, ref) in enumerate(blocks):
            items.append((f"{heading}\n{block}" if i == 0 else block, ref))
    return items


def briefing_blocks(digest: Digest) -> list[str]:
    """Every fact of a digest as a block, grouped by kind with a heading on the first of each."""
    return [block for block, _ref in briefing_items(digest)]


def briefing_messages(digest: Digest, *, tz: ZoneInfo, today: dt.date) -> list[str]:
    """The briefing for one reader: one message if it fits, else split between facts."""
    return [text for text, _refs in briefing_parts(digest, tz=tz, today=today)]


def briefing_parts(
    digest: Digest, *, tz: ZoneInfo, today: dt.date
) -> list[tuple[str, tuple[Ref, ...]]]:
    """The briefing's messages, each with the facts it shows (recorded when it is sent)."""
    title = _("☀️ <b>Morning briefing</b> · {date}").format(date=format_date(today))
    since = _since_label(digest.since, tz)
    if digest.quiet:
        text = title + "\n" + _("No new developments since {since}.").format(since=since)
        refs: tuple[Ref, ...] = ()
        if digest.latest is not None:
            latest = digest.latest
            text += "\n\n" + _("Most recent: {date} — {headline}").format(
                date=format_date(latest.date),
                headline=f"<b>{esc(clip(latest.headline, 160))}</b>",
            )
            text += f"\n{source_line(latest.sources)}"
            refs = ((FactKind.UPDATE.value, latest.id),)
        return [(text, refs)]
    header = title + "\n<i>" + _("What is new since {since}").format(since=since) + "</i>"
    if digest.differ:
        header += "\n" + differ_note(digest.differ)
    items = briefing_items(digest)
    messages: list[tuple[str, tuple[Ref, ...]]] = []
    while items:
        # join_blocks always takes at least one block; clipped fields keep any block short.
        # Room is kept for the "rest follows" line, so that no part is ever a silent half.
        room = _rest_follows(99, 99)
        text, used = join_blocks(header, [b for b, _ref in items], room)
        text = text.removesuffix(room)  # room only: the real "rest follows" line is added below
        messages.append((text, tuple(ref for _b, ref in items[:used] if ref is not None)))
        items = items[used:]
        header = title + " " + _("(continued)")
    last = len(messages) - 1
    return [
        (m + (_rest_follows(i + 1, last + 1) if i < last else ""), refs)
        for i, (m, refs) in enumerate(messages)
    ]


def differ_note(count: int) -> str:
    """The briefing's line saying that sources disagree on some of its facts."""
    return ngettext(
        "⚖️ <i>Sources differ on {count} fact below: each version is shown with its source.</i>",
        "⚖️ <i>Sources differ on {count} facts below: each version is shown with its source.</i>",
        count,
    ).format(count=count)


def _rest_follows(part: int, parts: int) -> str:
    text = _("Part {part} of {parts} — the rest follows.").format(part=part, parts=parts)
    return f"\n\n<i>{text}</i>"
