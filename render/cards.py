"""A fact as a card to share into any chat: a title and a line to pick it by, and its message."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from core.i18n import _
from core.text import clip, esc
from kinds.audit import fact_ref
from kinds.base import FactKind
from kinds.registry import spec_for

_TAG = re.compile(r"<[^>]+>")
TITLE_LIMIT = 120
DESCRIPTION_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Card:
    """One fact ready for an inline answer: its public id, plain title and line, HTML text."""

    ref: str
    title: str
    description: str
    html: str


def plain(html_text: str) -> str:
    """The text a reader sees of Telegram HTML: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", html_text))


def fact_card(kind: FactKind, view: Any) -> Card:
    """The card of a fact: its block with date, text and sources, and plain lines to pick it."""
    spec = spec_for(kind)
    body = spec.block(view)
    lines = [" ".join(line.split()) for line in plain(body).splitlines()]
    lines = [line for line in lines if line]
    title = clip(lines[0] if lines else _(spec.label), TITLE_LIMIT)
    description = clip(" · ".join(lines[1:3]), DESCRIPTION_LIMIT)
    ref = fact_ref(kind, view.id)
    text = f"{spec.icon} <i>{esc(_(spec.label))}</i> · <code>{ref}</code>\n{body}"
    return Card(ref=ref, title=title, description=description, html=text)
