"""HTTP_CLIENT=aiohttp: the bot long-polls, replies, uploads and downloads through aiohttp."""

from __future__ import annotations

import json

import pytest
from telegram.error import NetworkError

from bot.aiohttp_request import AiohttpRequest
from bot.app import build_application, running
from fake_telegram.server import FakeTelegramServer
from tests.conftest import make_settings
from tests.support import REPO, wait_for


async def test_polling_replies_uploads_and_downloads_over_aiohttp(sqlite_url: str) -> None:
    async with FakeTelegramServer() as server:
        api = server.api
        settings = make_settings(
            sqlite_url,
            telegram_api_base=server.base_url,
            telegram_file_base=server.base_file_url,
            http_client="aiohttp",
            admin_ids=frozenset({42}),
        )
        app = build_application(settings)
        assert isinstance(app.bot.request, AiohttpRequest)
        async with running(app):
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            api.push_update(api.make_message("/rounds", chat_id=501, user_id=501))
            await wait_for(lambda: bool(api.sent(501)), "a reply to /rounds")
            assert "Ciragan Palace" in api.last(501).plain

            api.push_update(api.make_message("/export", chat_id=42, user_id=42))
            await wait_for(lambda: bool(api.documents(42)), "the export document")
            exported = api.documents(42)[-1]
            assert exported.document is not None
            assert json.loads(exported.document)["format"] == "peace-briefing/1"

            example = (REPO / "docs/examples/import-example.json").read_bytes()
            api.push_update(
                api.make_document_message(
                    example, "example.json", caption="/import", chat_id=42, user_id=42
                )
            )
            await wait_for(lambda: "Imported" in api.last(42).plain, "the import report")
            assert "nothing was written" not in api.last(42).plain


async def test_transport_failures_become_network_errors() -> None:
    from telegram.error import NetworkError

    request = AiohttpRequest(connect_timeout=1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            # Nothing listens on port 9 (discard) on this machine's loopback.
            await request.do_request("http://127.0.0.1:9/botX/getMe", "POST")
    finally:
        await request.shutdown()


async def test_a_failed_request_never_quotes_the_token() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as failed:
            await request.do_request(
                url="http://256.256.256.256:99999/bot123456:SECRET-TOKEN/getMe", method="POST"
            )
    finally:
        await request.shutdown()
    assert "SECRET-TOKEN" not in str(failed.value)
    assert "/bot<token>/getMe" in str(failed.value)
