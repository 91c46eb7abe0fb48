"""Atom feeds (RFC 4287) built with the standard library's ElementTree, which escapes all text.

Entry ids are tag: URIs (RFC 4151) under the site's host name. An update's entry keeps its id
when the update is corrected (its <updated> moves on, as RFC 4287 asks); a correction or a
retraction is an entry of its own, named by the fact and the audit entry (the version).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM_TYPE = "application/atom+xml"
# The year the tag: authority started naming these entries (RFC 4151 wants a date in the id).
TAG_YEAR = "2025"
GENERATOR = "peace-briefing-bot"
# Characters XML 1.0 cannot carry at all: stored text with them would make the feed unreadable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ET.register_namespace("", ATOM_NS)


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry."""

    id: str
    title: str
    updated: dt.datetime
    link: str
    summary: str = ""
    published: dt.datetime | None = None
    categories: tuple[str, ...] = ()
    language: str = ""  # the entry's text, when not in the feed's language


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed's own metadata and its entries, newest first."""

    id: str
    title: str
    subtitle: str
    self_url: str
    page_url: str
    author: str
    updated: dt.datetime
    entries: Sequence[Entry] = field(default_factory=tuple)
    language: str = "en"


def tag_uri(host: str, specific: str) -> str:
    """A tag: URI such as 'tag:example.org,2025:fact:U12' (host without port, lowercased)."""
    authority = host.split(":")[0].lower() or "localhost"
    return f"tag:{authority},{TAG_YEAR}:{specific}"


def rfc3339(at: dt.datetime) -> str:
    """A timestamp in RFC 3339, UTC, to the second: 2025-06-02T14:03:00Z."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _add(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", {k: _clean(v) for k, v in attrs.items()})
    if text is not None:
        child.text = _clean(text)
    return child


def _author(parent: ET.Element, name: str) -> None:
    _add(_add(parent, "author"), "name", name)


def atom_bytes(feed: Feed) -> bytes:
    """The feed as an Atom document, UTF-8, with its XML declaration."""
    root = ET.Element(f"{{{ATOM_NS}}}feed", {XML_LANG: feed.language})
    _add(root, "id", feed.id)
    _add(root, "title", feed.title, type="text")
    _add(root, "subtitle", feed.subtitle, type="text")
    _add(root, "updated", rfc3339(feed.updated))
    _author(root, feed.author)
    _add(root, "link", rel="self", type=ATOM_TYPE, href=feed.self_url)
    _add(root, "link", rel="alternate", type="text/html", href=feed.page_url)
    _add(root, "generator", GENERATOR)
    for entry in feed.entries:
        item = _add(root, "entry", **({XML_LANG: entry.language} if entry.language else {}))
        _add(item, "id", entry.id)
        _add(item, "title", entry.title, type="text")
        _add(item, "updated", rfc3339(entry.updated))
        if entry.published is not None:
            _add(item, "published", rfc3339(entry.published))
        _author(item, feed.author)
        _add(item, "link", rel="alternate", type="text/html", href=entry.link)
        for term in entry.categories:
            _add(item, "category", term=term)
        if entry.summary:
            _add(item, "summary", entry.summary, type="text")
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
