"""Updates run concurrently across chats but strictly in order within one chat."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.processing import PerChatUpdateProcessor
from fake_telegram import LocalBotApi


def _update(api: LocalBotApi, chat_id: int, text: str) -> Update:
    return Update.de_json(api.make_message(text, chat_id=chat_id, user_id=chat_id), None)


async def test_one_chat_in_order_other_chats_alongside() -> None:
    api = LocalBotApi()
    processor = PerChatUpdateProcessor(max_concurrent_updates=16)
    log: list[str] = []
    gate = asyncio.Event()

    async def handle(name: str, wait: bool) -> None:
        log.append(f"start {name}")
        if wait:
            await gate.wait()
        log.append(f"end {name}")

    first = asyncio.create_task(
        processor.process_update(_update(api, 1, "a"), handle("chat1-a", wait=True))
    )
    await asyncio.sleep(0)
    second = asyncio.create_task(
        processor.process_update(_update(api, 1, "b"), handle("chat1-b", wait=False))
    )
    other = asyncio.create_task(
        processor.process_update(_update(api, 2, "c"), handle("chat2-c", wait=False))
    )
    await other
    # Chat 2 finished while chat 1's first update was still waiting; chat 1's second had not begun.
    assert log == ["start chat1-a", "start chat2-c", "end chat2-c"]
    gate.set()
    await asyncio.gather(first, second)
    assert log[3:] == ["end chat1-a", "start chat1-b", "end chat1-b"]
    # Locks of idle chats are dropped, so memory does not grow with the number of chats.
    assert processor._locks == {} and processor._users == {}
