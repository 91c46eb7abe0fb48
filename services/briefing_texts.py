"""What each chat's morning briefing says, read and rendered once per run for all who share it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TypeVar
from zoneinfo import ZoneInfo

from core.i18n import supported, using_language
from core.settings import Settings
from kinds.digest import Digest, changes_between
from kinds.interests import for_interests, load_interests
from render.briefing import briefing_parts
from services.ledger_writes import ledger_call
from services.sending import Outgoing
from store import ledger
from store.db import SessionFactory

K = TypeVar("K")
FIRST_BRIEFING_WINDOW = dt.timedelta(hours=24)


class BriefingTexts:
    """A run's briefings: the news since each chat's last one, cut to its interests, rendered.

    The text depends only on (since, time zone, local day, language, interests), so each is
    read and rendered once per run, however many chats share it.
    """

    def __init__(self, sessions: SessionFactory, settings: Settings, cutoff: dt.datetime) -> None:
        self._sessions = sessions
        self._settings = settings
        self._cutoff = cutoff
        self._loading = asyncio.Lock()  # the first chats of a run would each load the same news
        self._digests: dict[dt.datetime, Digest] = {}
        self._chosen: dict[tuple[dt.datetime, str], Digest] = {}  # cut to a chat's interests
        self._texts: dict[tuple[dt.datetime, str, dt.date, str, str], Outgoing] = {}

    async def compose(self, target: ledger.Target) -> Outgoing:
        """The briefing `target` is due: its messages and the facts each carries."""
        since = target.last_briefing_at or self._cutoff - FIRST_BRIEFING_WINDOW
        zone_name = target.timezone or self._settings.timezone
        zone = ZoneInfo(zone_name)
        today = self._cutoff.astimezone(zone).date()
        language = supported(target.language)
        interests = target.interests or ""
        key = (since, zone_name, today, language, interests)
        if key not in self._texts:
            news = await self._followed(since, interests)
        if key not in self._texts:  # again: the chats that waited for the same news render once
            with using_language(language):
                parts = briefing_parts(news, tz=zone, today=today)
            self._texts[key] = Outgoing([t for t, _r in parts], tuple(r for _t, r in parts))
        return self._texts[key]

    async def _followed(self, since: dt.datetime, interests: str) -> Digest:
        full = await self._once(self._digests, since, "Reading the news", lambda: self._news(since))
        if not interests:
            return full

        async def cut() -> Digest:
            async with self._sessions() as session:
                wanted = await load_interests(session, interests)
                return full if wanted is None else await for_interests(session, full, wanted)

        return await self._once(self._chosen, (since, interests), "Reading interests", cut)

    async def _news(self, since: dt.datetime) -> Digest:
        async with self._sessions() as session:
            return await changes_between(session, since=since, until=self._cutoff)

    async def _once(
        self, cache: dict[K, Digest], key: K, what: str, load: Callable[[], Awaitable[Digest]]
    ) -> Digest:
        """`cache[key]`, loaded by the first caller (retried while the database is away)."""
        if key not in cache:
            async with self._loading:
                if key not in cache:
                    cache[key] = await ledger_call(what, load)
        return cache[key]
