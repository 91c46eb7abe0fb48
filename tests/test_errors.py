"""Escaped exceptions: logged without the token, the user told briefly, nothing leaks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from core.logs import REDACTED, RedactToken, setup_logging
from fake_telegram import FAKE_TOKEN
from handlers.errors import SORRY
from tests.conftest import Harness, make_settings, start_harness


@pytest.fixture
def scrubbed_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Install the bot's logging set-up (token scrubbing) on the captured handlers."""
    caplog.set_level(logging.INFO)
    setup_logging("INFO", FAKE_TOKEN)
    yield caplog
    for handler in logging.getLogger().handlers:
        for f in list(handler.filters):
            if isinstance(f, RedactToken):
                handler.removeFilter(f)


async def _boom(update: Update, context: Any) -> None:
    raise RuntimeError(f"upstream failed: https://api.telegram.org/bot{FAKE_TOKEN}/sendMessage")


async def test_handler_error_is_logged_scrubbed_and_user_told(
    sqlite_url: str, scrubbed_logs: pytest.LogCaptureFixture
) -> None:
    async for bot in start_harness(make_settings(sqlite_url)):
        # First in group 0, ahead of the unknown-command catch-all.
        bot.app.handlers[0].insert(0, CommandHandler("boom", _boom))
        reply = await bot.chat(7001).ask("/boom")
        assert reply.plain == SORRY
        assert len(bot.errors) == 1 and isinstance(bot.errors[0], RuntimeError)
    logged = "\n".join(
        r.getMessage() + (r.exc_text or "") for r in scrubbed_logs.records if r.name == "bot.errors"
    )
    assert "Unhandled error chat=7001 text='/boom'" in logged
    assert REDACTED in logged
    assert FAKE_TOKEN not in scrubbed_logs.text
    for handler in logging.getLogger().handlers:
        formatted = [handler.format(r) for r in scrubbed_logs.records]
        assert not any(FAKE_TOKEN in line for line in formatted)


async def test_button_error_answers_the_callback(sqlite_url: str) -> None:
    async for bot in start_harness(make_settings(sqlite_url)):
        chat = bot.chat(7002)
        first = await chat.ask("/search the")
        assert first.buttons, "the seed should give more than one page of results"

        async def broken(update: Update, context: Any) -> None:
            raise ValueError("broken pager")

        bot.app.handlers[0].insert(0, CallbackQueryHandler(broken))
        await chat.press(first, "More")
        assert [a.text for a in bot.api.callback_answers][-1] == SORRY
        assert any(isinstance(e, ValueError) for e in bot.errors)


def test_redact_filter_scrubs_args_and_tracebacks() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "calling %s", (f"/bot{FAKE_TOKEN}/getMe",), None
    )
    try:
        raise RuntimeError(FAKE_TOKEN)
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactToken(FAKE_TOKEN).filter(record)
    assert FAKE_TOKEN not in record.getMessage()
    assert record.exc_text is not None and FAKE_TOKEN not in record.exc_text


def test_httpx_is_quiet_after_setup(scrubbed_logs: pytest.LogCaptureFixture) -> None:
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


async def test_no_error_reaches_a_user_as_a_traceback(seeded_bot: Harness) -> None:
    chat = seeded_bot.chat(7003)
    for text in ("/latest since", "/positions history", "/search ::::", "/latest 5 since 5"):
        for reply in await chat.send(text):
            assert "Traceback" not in reply.plain and "Error" not in reply.plain
