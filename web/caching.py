"""ETag and Last-Modified from the store's last change; 304 Not Modified when nothing changed."""

from __future__ import annotations

import datetime as dt
import hashlib

from aiohttp import web
from aiohttp.helpers import ETag

from store.audit import StoreStamp

# Readers always ask again (cheap: a 304 without a body) so a retraction shows at once.
CACHE_CONTROL = "public, no-cache"


def etag_for(stamp: StoreStamp, *, version: str, variant: str = "") -> ETag:
    """A weak ETag: the store's newest audit entry, the code's version, and what else varies."""
    tail = hashlib.sha256(f"{version}|{variant}".encode()).hexdigest()[:12]
    return ETag(value=f"{stamp.last_id}-{tail}", is_weak=True)


def last_modified(stamp: StoreStamp) -> dt.datetime | None:
    """When the store last changed, to the second (HTTP dates have no fractions)."""
    return None if stamp.at is None else stamp.at.astimezone(dt.UTC).replace(microsecond=0)


def not_modified(request: web.Request, etag: ETag, modified: dt.datetime | None) -> bool:
    """True when the client's copy is current (RFC 9110: If-None-Match wins when present)."""
    if request.headers.get("If-None-Match") is not None:
        given = request.if_none_match or ()
        # Weak comparison: only the opaque value counts.
        return any(tag.value in ("*", etag.value) for tag in given)
    since = request.if_modified_since
    return since is not None and modified is not None and modified <= since


def vary_language(response: web.StreamResponse) -> None:
    """Say that the body (and its ETag) depends on the Accept-Language header."""
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Accept-Language"
    elif "accept-language" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Accept-Language"


def set_validators(response: web.StreamResponse, etag: ETag, modified: dt.datetime | None) -> None:
    """Put the caching headers on a response (a full one or a 304)."""
    response.etag = etag
    if modified is not None:
        response.last_modified = modified
    response.headers["Cache-Control"] = CACHE_CONTROL
