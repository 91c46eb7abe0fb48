"""Sending one chat its messages, and telling what Telegram provably did not get."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from services.pacing import DepartingRateLimiter, Departure, retry_seconds
from store.models import DeliveryStatus

RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)  # in place, for a passing outage (~15 s in all)
# Refusals that will not pass: the chat, or the forum topic, is no more (counted like a 403).
GONE = ("chat not found", "message thread not found", "topic_deleted", "topic_closed")
LIMITER_RETRIES = 20  # 429s the rate limiter waits out (as Telegram asks) before giving up


def nothing_delivered(exc: TelegramError) -> bool:
    """True when `exc` proves the message was not delivered, so sending again is safe.

    Telegram answered with an error (a 5xx, a 429), or no connection was ever made. A timeout
    or a connection lost after the request left may hide a delivered message: not safe.
    """
    if isinstance(exc, RetryAfter):
        return True
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        return isinstance(
            cause, httpx.ConnectTimeout | httpx.PoolTimeout | aiohttp.ConnectionTimeoutError
        )
    if isinstance(exc, NetworkError):
        # PTB raises HTTP error answers with no cause (or a JSON parsing one).
        if cause is None or isinstance(cause, TelegramError):
            return True
        return isinstance(cause, httpx.ConnectError | aiohttp.ClientConnectorError)
    return False


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What one chat is sent: its messages, the facts each carries, what the first replies to."""

    texts: list[str]
    facts: tuple[tuple[tuple[str, int], ...], ...] = ()  # per message: (kind, fact id)
    reply_to: int | None = None


@dataclass
class Sent:
    """How far a chat's messages got."""

    status: DeliveryStatus
    error: str | None
    parts: int


async def send_texts(
    bot: Bot,
    chat_id: int,
    texts: list[str],
    *,
    thread_id: int = 0,
    start: int,
    quiet: bool,
    depart: Callable[[], Awaitable[None]],
    progress: Callable[[int], Awaitable[None]],
    reply_to: int | None = None,
    message_ids: list[int | None] | None = None,
) -> Sent:
    """Send a chat or topic its messages from part `start`, retrying what provably did not go.

    With `reply_to`, the first message answers that message of the chat (sent anyway if it is
    gone); `message_ids` collects Telegram's id of each part that went, in order.
    """
    limiter = bot.rate_limiter if isinstance(bot, ExtBot) else None
    if not isinstance(limiter, DepartingRateLimiter):
        limiter = None
    parts = start
    for text in texts[start:]:
        attempt = 0
        message: dict[str, Any] = {
            "chat_id": chat_id,
            "text": text,
            "parse_mode": ParseMode.HTML.value,
            "disable_notification": quiet,
            "link_preview_options": {"is_disabled": True},
        }
        if thread_id:
            message["message_thread_id"] = thread_id
        if reply_to is not None and parts == start:
            message["reply_parameters"] = {
                "message_id": reply_to,
                "allow_sending_without_reply": True,
            }
        while True:
            try:
                if limiter is not None:
                    # The limiter awaits `depart` when the request leaves its queue.
                    sent = await limiter.process_request(
                        _poster(bot, message),
                        (),
                        {},
                        "sendMessage",
                        message,
                        Departure(depart, LIMITER_RETRIES),
                    )
                else:
                    await depart()
                    sent = await _poster(bot, message)()
                if message_ids is not None:
                    message_ids.append(sent.get("message_id") if isinstance(sent, dict) else None)
                break
            except Forbidden as exc:
                return Sent(DeliveryStatus.BLOCKED, str(exc), parts)
            except BadRequest as exc:
                if any(gone in str(exc).lower() for gone in GONE):
                    return Sent(DeliveryStatus.BLOCKED, str(exc), parts)
                return Sent(DeliveryStatus.FAILED, str(exc), parts)
            except TelegramError as exc:
                if not nothing_delivered(exc):
                    return Sent(DeliveryStatus.UNKNOWN, f"in doubt: {exc}", parts)
                if attempt == len(RETRY_DELAYS):
                    return Sent(DeliveryStatus.RETRY, str(exc), parts)
                wait = retry_seconds(exc) if isinstance(exc, RetryAfter) else 0.0
                await asyncio.sleep(max(wait, RETRY_DELAYS[attempt]))
                attempt += 1
        parts += 1
        if parts < len(texts):
            await progress(parts)
    return Sent(DeliveryStatus.SENT, None, parts)


def _poster(bot: Bot, message: dict[str, Any]) -> Callable[[], Coroutine[Any, Any, Any]]:
    """A call posting sendMessage as it is; Telegram's answer comes back as a plain dict.

    Bot.send_message would build a Message (and its entities) from every answer, which the
    briefing never reads: a fifth of the CPU of sending a briefing.
    """
    # Posted as it is: PTB's Defaults (none are configured, bot/app.py) would not apply here.
    url = f"{bot.base_url}/sendMessage"
    data = RequestData(
        [RequestParameter.from_input(name, value) for name, value in message.items()]
    )

    async def post() -> Any:
        return await bot.request.post(url=url, request_data=data)

    return post
