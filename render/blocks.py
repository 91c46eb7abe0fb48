"""Turn fact views into Telegram HTML: every stored string escaped, every fact with its sources.

Each kind renders its own facts (its spec's `block`, `search_block`, ...); this module gives the
commands, the briefing and the previews one place to reach them, and joins blocks into messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.links import fact_url
from core.settings import Settings
from core.text import MESSAGE_LIMIT, clip, esc, number, visible_length
from kinds.audit import fact_ref
from kinds.base import FactKind
from kinds.common import people, source_line
from kinds.registry import spec_for

__all__ = [
    "MESSAGE_LIMIT",
    "clip",
    "esc",
    "fact_block",
    "join_blocks",
    "number",
    "people",
    "refs_of",
    "search_block",
    "source_line",
    "visible_length",
    "with_refs",
]


def fact_block(kind: FactKind, view: Any) -> str:
    """One fact of any kind as a list block."""
    return spec_for(kind).block(view)


def search_block(kind: FactKind, view: Any) -> str:
    """One search hit, labelled with its kind."""
    return spec_for(kind).search_block(view)


def with_refs(
    blocks: Sequence[str],
    refs: Sequence[tuple[FactKind, int]],
    settings: Settings | None = None,
) -> list[str]:
    """End each block with its fact's id (U12, P3…), which readers quote and editors /edit; with
    WEB_BASE_URL set, the id also links to the fact's web page."""
    out = []
    for block, (kind, fact_id) in zip(blocks, refs, strict=True):
        ref = fact_ref(kind, fact_id)
        url = fact_url(settings, ref) if settings is not None else None
        tail = f" · <code>{ref}</code>"
        if url:
            tail += f' <a href="{esc(url)}">🔗</a>'
        out.append(block + tail)
    return out


def refs_of(kind: FactKind, views: Sequence[Any]) -> list[tuple[FactKind, int]]:
    """(kind, id) of each view of one kind, for `with_refs`."""
    return [(kind, view.id) for view in views]


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
