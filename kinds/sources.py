"""A fact's sources found by key, or by name, link and date, and created once when new."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from kinds.writes import existing_keys
from store.models import Source
from store.transfer import SourceIn


class Sources:
    """Resolves source keys and written-out sources to ids in one session, creating new ones once.

    A key is looked up once, not per fact naming it, and `declare` reads the stored keys of a
    file's sources in one query (an import may bring thousands of facts). `on_create` is called
    for each source this creates (an import counts them).
    """

    def __init__(
        self, session: AsyncSession, *, on_create: Callable[[], None] | None = None
    ) -> None:
        self.session, self.on_create = session, on_create
        self.ids: dict[str, int] = {}  # key -> id, for every key resolved so far
        self.known: dict[str, Any] = {}  # stored rows of the keys `declare` was given

    async def declare(self, sources: Sequence[SourceIn]) -> None:
        """Find or create each of a file's declared sources (stored keys read in one query)."""
        self.known = await existing_keys(self.session, Source, [s.key for s in sources if s.key])
        for src in sources:
            await self.source_id(src)

    async def by_key(self, key: str) -> int | None:
        """The id of the stored source with this key (None: no such source)."""
        if key not in self.ids:
            row = (await self.session.exec(select(Source).where(Source.key == key))).first()
            if row is None or row.id is None:
                return None
            self.ids[key] = row.id
        return self.ids[key]

    async def source_id(self, src: SourceIn) -> int:
        """The id of the source with its key, else of one with its name, link and date, else new."""
        # Two sources may share a name and link and differ by date: the identity is all three.
        if src.key and src.key in self.ids:
            return self.ids[src.key]
        if src.key and src.key in self.known:
            sid: int | None = self.known[src.key].id
        else:
            found = (
                await self.session.exec(
                    select(Source).where(
                        Source.name == src.name,
                        Source.url == src.url if src.url else col(Source.url).is_(None),
                        Source.published == src.published
                        if src.published
                        else col(Source.published).is_(None),
                    )
                )
            ).first()
            if found is not None and (src.key is None or found.key in (None, src.key)):
                sid = found.id
            else:
                row = Source(**src.model_dump())
                self.session.add(row)
                await self.session.flush()
                sid = row.id
                if self.on_create is not None:
                    self.on_create()
        assert sid is not None
        if src.key:
            self.ids[src.key] = sid
        return sid

    async def find(self, src: str | SourceIn) -> int:
        """The id of a source named by key (LookupError when none has it) or written out."""
        if isinstance(src, SourceIn):
            return await self.source_id(src)
        sid = await self.by_key(src)
        if sid is None:
            raise LookupError(f"unknown source {src!r}")
        return sid
