"""Update processing: concurrent across chats, in order within one chat, a short queue each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from core.i18n import N_, using_language

log = logging.getLogger(__name__)

# Updates one chat may have running or waiting; more are dropped. A person types a few
# commands ahead at most; a flood would otherwise hold the shared slots and make other chats
# wait behind it (600 queued commands once delayed another chat's /help by 11 s).
PER_CHAT_QUEUE = 16
SLOW_DOWN = N_("Slow down, please: I dropped some of your messages. Send the command again.")

FloodNotice = Callable[[int], Awaitable[Any]]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Run updates of different chats at once, but one chat's updates one after another.

        An editor's guided form needs a chat's answers in order (within a process; its state is in
    the database); readers in other chats should not wait behind a slow one, nor behind a
    flooding one: each chat has a queue of PER_CHAT_QUEUE, excess updates are dropped and the
    chat is told once per flood.
    """

    def __init__(self, max_concurrent_updates: int = 256, per_chat: int = PER_CHAT_QUEUE) -> None:
        super().__init__(max_concurrent_updates)
        self.per_chat = per_chat
        # Set by the app factory: tells a chat to slow down (the processor has no bot).
        self.on_flood: FloodNotice | None = None
        self.dropped = 0
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._told: set[int] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await the handlers of `update` once its chat's earlier updates are done."""
        key = None
        if isinstance(update, Update):
            chat = update.effective_chat
            user = update.effective_user
            key = chat.id if chat else (user.id if user else None)
        if key is None:
            await coroutine
            return
        if self._users.get(key, 0) >= self.per_chat:
            user = update.effective_user if isinstance(update, Update) else None
            # The notice is in the sender's own language (the chat's is not read for a flood).
            with using_language(user.language_code if user else None):
                await self._drop(key, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
                del self._locks[key]
                self._told.discard(key)  # a later flood is told again

    async def _drop(self, key: int, coroutine: Awaitable[Any]) -> None:
        if isinstance(coroutine, Coroutine):
            coroutine.close()  # never run: no "coroutine was never awaited" warning
        self.dropped += 1
        if key in self._told or self.on_flood is None:
            return
        self._told.add(key)
        log.warning("Chat %s floods the bot: dropping its updates beyond %s", key, self.per_chat)
        try:
            await self.on_flood(key)
        except Exception as exc:  # the notice is a courtesy; it must not fail the update loop
            log.warning("Could not tell chat %s to slow down: %s", key, exc)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
