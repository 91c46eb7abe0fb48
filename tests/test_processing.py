"""Updates run concurrently across chats but strictly in order within one chat."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.processing import PER_CHAT_QUEUE, SLOW_DOWN, PerChatUpdateProcessor
from core.context import BriefingApp
from fake_telegram import LocalBotApi
from tests.conftest import make_settings, start_harness


def _update(api: LocalBotApi, chat_id: int, text: str) -> Update:
    return Update.de_json(api.make_message(text, chat_id=chat_id, user_id=chat_id), None)


def _per_chat_processor(app: BriefingApp) -> PerChatUpdateProcessor:
    """The app's update processor, which must be the per-chat one."""
    processor = app.update_processor
    assert isinstance(processor, PerChatUpdateProcessor)
    return processor


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


async def test_a_flooding_chat_does_not_hold_up_another(sqlite_url: str) -> None:
    flooder, other = 6001, 6002
    async for bot in start_harness(make_settings(sqlite_url)):
        api, app = bot.api, bot.app
        processor = _per_chat_processor(app)
        for n in range(600):
            raw = api.make_message(f"/latest {1 + n % 3}", chat_id=flooder, user_id=flooder)
            await app.update_queue.put(Update.de_json(raw, app.bot))
        await app.update_queue.put(
            Update.de_json(api.make_message("/help", chat_id=other, user_id=other), app.bot)
        )
        for _ in range(600):
            await asyncio.sleep(0.05)
            if app.update_queue.empty() and processor.current_concurrent_updates == 0:
                break
        everything = api.sent()
        answers = [m for m in everything if m.chat_id == flooder and m.text != SLOW_DOWN]
        notices = [m for m in everything if m.chat_id == flooder and m.text == SLOW_DOWN]
        helped = [i for i, m in enumerate(everything) if m.chat_id == other]
        assert bot.errors == []
    assert len(helped) == 1 and "/latest" in everything[helped[0]].plain
    assert len(notices) == 1, "a flood is told to slow down once"
    assert 1 <= len(answers) <= PER_CHAT_QUEUE
    assert all("Latest updates" in m.plain for m in answers)
    assert processor.dropped == 600 - len(answers)
    # The other chat was answered while the flood's accepted updates were still running.
    assert helped[0] < everything.index(answers[-1])
