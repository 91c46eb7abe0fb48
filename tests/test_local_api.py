"""Tests of the strict fake Bot API: it must refuse what Telegram refuses, and drive real PTB."""

from __future__ import annotations

import asyncio
import json
import struct
from typing import Any

import aiohttp
import pytest
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import Application, CommandHandler, ContextTypes

from fake_telegram import (
    FAKE_TOKEN,
    NOT_MODIFIED,
    HtmlParseError,
    LocalBotApi,
    LocalRequest,
    UploadedFile,
    telegram_html_to_plain,
    utf16_len,
)
from fake_telegram.server import FakeTelegramServer
from tests.support import wait_for

CHAT = 4242
PARSE = "Bad Request: can't parse entities: "


async def call(api: LocalBotApi, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    return await api.handle(method, params)


async def send_html(api: LocalBotApi, text: str, **params: Any) -> tuple[int, dict[str, Any]]:
    return await call(api, "sendMessage", chat_id=CHAT, text=text, parse_mode="HTML", **params)


def keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"inline_keyboard": [list(buttons)]}


def refused(status: int, body: dict[str, Any], description: str, code: int = 400) -> bool:
    return (status, body) == (
        code,
        {"ok": False, "error_code": code, "description": description},
    )


# ---- the HTML parser ------------------------------------------------------------------------


def test_parser_builds_plain_text_and_utf16_entities() -> None:
    plain, entities = telegram_html_to_plain(
        '😀 <b>Talks</b> &amp; <a href="https://example.org/?a=1&amp;b=2">source</a>'
    )
    assert plain == "😀 Talks & source"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 5},
        {"type": "text_link", "offset": 11, "length": 6, "url": "https://example.org/?a=1&b=2"},
    ]


def test_parser_pre_code_spoiler_blockquote() -> None:
    html = (
        '<pre><code class="language-python">x = 1</code></pre>'
        '<span class="tg-spoiler">s</span><blockquote expandable>q</blockquote>'
    )
    plain, entities = telegram_html_to_plain(html)
    assert plain == "x = 1sq"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "spoiler", "offset": 5, "length": 1},
        {"type": "expandable_blockquote", "offset": 6, "length": 1},
    ]


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("é <foo>", 'Unsupported start tag "foo" at byte offset 3'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("a <", "Unclosed start tag at byte offset 2"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_parser_refuses_like_telegram(html: str, message: str) -> None:
    with pytest.raises(HtmlParseError) as info:
        telegram_html_to_plain(html)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("fast", "slow"),
    [
        # Left: the shapes the regex fast paths take; right: the same with spacing that forces
        # tdlib's byte-wise path. Both must give the same text and entities.
        ("<B>Kyiv</B> <i>é</i>", "<B >Kyiv</B > <i >é</i >"),
        (
            '<a href="https://x.example/a?b=1">Reuters</a>',
            "<a href='https://x.example/a?b=1' >Reuters</a>",
        ),
        (
            '<a href="https://x.example/п">Лінк</a> ok',
            "<a  href='https://x.example/п'>Лінк</a > ok",
        ),
        ('<a href="">https://t.example</a>', "<a href=''>https://t.example</a>"),
        ("<a>www.example.org</a>", "<a >www.example.org</a>"),
    ],
)
def test_parser_fast_paths_agree_with_the_bytewise_parser(fast: str, slow: str) -> None:
    assert telegram_html_to_plain(fast) == telegram_html_to_plain(slow)
    assert telegram_html_to_plain(fast)[1]  # each really yields an entity


def test_parser_ampersand_strict_by_default_lenient_on_request() -> None:
    with pytest.raises(HtmlParseError, match='Unescaped "&" at byte offset 2'):
        telegram_html_to_plain("AT&T")
    assert telegram_html_to_plain("AT&T", strict_ampersand=False) == ("AT&T", [])
    assert telegram_html_to_plain("&lt;b&gt; &#65;&#x42; &quot;") == ('<b> AB "', [])


def test_utf16_len_counts_surrogate_pairs() -> None:
    assert utf16_len("a😀é") == 4


# ---- sendMessage strictness -------------------------------------------------------------------


async def test_send_message_refuses_bad_html_and_sends_nothing() -> None:
    api = LocalBotApi()
    status, body = await send_html(api, "<div>x</div>")
    assert refused(status, body, PARSE + 'Unsupported start tag "div" at byte offset 0')
    status, body = await send_html(api, "<b>open")
    assert refused(status, body, PARSE + 'Can\'t find end tag corresponding to start tag "b"')
    status, body = await send_html(api, "1 < 2")
    assert refused(status, body, PARSE + 'Unsupported start tag "" at byte offset 2')
    status, body = await send_html(api, "AT&T")
    assert status == 400 and body["description"].startswith(PARSE + 'Unescaped "&"')
    assert api.sent() == []


async def test_length_is_utf16_after_entity_parsing() -> None:
    api = LocalBotApi()
    emoji = "😀" * 2048  # 2048 characters, 4096 UTF-16 code units
    status, body = await send_html(api, emoji)
    assert status == 200 and body["result"]["text"] == emoji
    status, body = await send_html(api, emoji + "a")
    assert refused(status, body, "Bad Request: message is too long")

    status, body = await send_html(api, "<b>" + "a" * 4096 + "</b>")
    assert status == 200
    assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4096}]
    status, body = await send_html(api, "<b>" + "a" * 4097 + "</b>")
    assert refused(status, body, "Bad Request: message is too long")
    status, body = await send_html(api, "&lt;" * 4096)
    assert status == 200 and api.last(CHAT).plain == "<" * 4096
    assert [len(m.plain) for m in api.sent(CHAT)] == [2048, 4096, 4096]


async def test_empty_text_after_parsing_is_refused() -> None:
    api = LocalBotApi()
    for text in ("<b></b>", " \n ", ""):
        status, body = await send_html(api, text)
        assert refused(status, body, "Bad Request: message text is empty"), text
    status, body = await call(api, "sendMessage", chat_id=CHAT)
    assert refused(status, body, "Bad Request: message text is empty")


async def test_text_is_trimmed_like_telegram() -> None:
    api = LocalBotApi()
    status, body = await send_html(api, "\n  <b>Hi</b> there \n\n")
    assert status == 200
    assert body["result"]["text"] == "Hi there"
    assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    sent = api.last(CHAT)
    assert (sent.text, sent.plain, sent.parse_mode) == (
        "\n  <b>Hi</b> there \n\n",
        "Hi there",
        "HTML",
    )


async def test_unsupported_parse_mode() -> None:
    status, body = await call(LocalBotApi(), "sendMessage", chat_id=CHAT, text="x", parse_mode="X")
    assert refused(status, body, "Bad Request: unsupported parse_mode")


# ---- inline keyboards ---------------------------------------------------------------------------


async def test_callback_data_limit_is_64_bytes() -> None:
    api = LocalBotApi()
    ok = keyboard({"text": "Yes", "callback_data": "y" * 64})
    status, _ = await send_html(api, "Pick", reply_markup=json.dumps(ok))  # PTB/form style
    assert status == 200
    assert api.last(CHAT).buttons == [[("Yes", "y" * 64)]]
    for data in ("y" * 65, "é" * 33):  # 65 and 66 bytes
        markup = keyboard({"text": "No", "callback_data": data})
        status, body = await send_html(api, "Pick", reply_markup=markup)
        assert refused(status, body, "Bad Request: BUTTON_DATA_INVALID")
    assert len(api.sent()) == 1


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        (
            keyboard({"text": "plain"}),
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (keyboard({"text": "js", "url": "javascript:alert(1)"}), "Bad Request: BUTTON_URL_INVALID"),
        (
            {"inline_keyboard": [[{"text": str(i), "callback_data": str(i)} for i in range(101)]]},
            "Bad Request: REPLY_MARKUP_TOO_LONG",
        ),
        ("{not json", "Bad Request: can't parse reply keyboard markup JSON object"),
    ],
)
async def test_bad_keyboards_are_refused(markup: Any, description: str) -> None:
    api = LocalBotApi()
    status, body = await send_html(api, "x", reply_markup=markup)
    assert refused(status, body, description)


async def test_button_needs_exactly_one_action() -> None:
    button = {"text": "both", "url": "https://example.org", "callback_data": "x"}
    status, body = await send_html(LocalBotApi(), "x", reply_markup=keyboard(button))
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse inline keyboard button")


# ---- faults ----------------------------------------------------------------------------------


async def test_blocked_chat_gets_403() -> None:
    api = LocalBotApi()
    api.block_chat(CHAT)
    status, body = await send_html(api, "hello")
    assert refused(status, body, "Forbidden: bot was blocked by the user", code=403)
    status, _ = await call(api, "sendMessage", chat_id=CHAT + 1, text="other chat")
    assert status == 200
    api.unblock_chat(CHAT)
    status, _ = await send_html(api, "again")
    assert status == 200
    assert [(m.chat_id, m.plain) for m in api.sent()] == [(CHAT + 1, "other chat"), (CHAT, "again")]


async def test_injected_flood_answers_429_with_retry_after() -> None:
    api = LocalBotApi()
    api.inject_flood("sendMessage", times=2, retry_after=7)
    expected = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert await send_html(api, "one") == (429, expected)
    assert (await call(api, "getMe"))[0] == 200  # other methods are unaffected
    assert await send_html(api, "two") == (429, expected)
    status, _ = await send_html(api, "three")
    assert status == 200 and [m.plain for m in api.sent()] == ["three"]


async def test_rate_limit_per_second() -> None:
    api = LocalBotApi(rate_limit_per_second=2)
    assert (await send_html(api, "1"))[0] == 200
    assert (await send_html(api, "2"))[0] == 200
    status, body = await send_html(api, "3")
    assert status == 429 and body["parameters"] == {"retry_after": 1}


async def test_unknown_method_is_404_and_names_are_case_insensitive() -> None:
    api = LocalBotApi()
    expected = {"ok": False, "error_code": 404, "description": "Not Found"}
    assert await call(api, "sendTelepathy", chat_id=CHAT) == (404, expected)
    status, body = await call(api, "GETME")
    assert status == 200 and body["result"]["username"] == "BriefingTestBot"


# ---- edits, callbacks, commands ------------------------------------------------------------------


async def test_edit_message_text_not_modified_and_not_found() -> None:
    api = LocalBotApi()
    markup = keyboard({"text": "More", "callback_data": "more"})
    _, body = await send_html(api, "<b>Brief</b>", reply_markup=markup)
    message_id = body["result"]["message_id"]
    edit = {"chat_id": CHAT, "message_id": message_id, "parse_mode": "HTML"}

    # Same parsed content and markup, even though the HTML differs.
    status, body = await call(
        api, "editMessageText", text="<strong>Brief</strong>", reply_markup=markup, **edit
    )
    assert refused(status, body, f"Bad Request: {NOT_MODIFIED}")

    # Leaving out reply_markup removes the keyboard, so this is a modification.
    status, body = await call(api, "editMessageText", text="<b>Brief</b>", **edit)
    assert status == 200 and "reply_markup" not in body["result"]
    last = api.last(CHAT)
    assert (last.edited, last.plain, last.buttons) == (True, "Brief", [])

    status, body = await call(api, "editMessageReplyMarkup", chat_id=CHAT, message_id=message_id)
    assert refused(status, body, f"Bad Request: {NOT_MODIFIED}")
    status, body = await call(api, "editMessageText", text="x", **{**edit, "message_id": 999})
    assert refused(status, body, "Bad Request: message to edit not found")


async def test_callback_query_lifecycle() -> None:
    api = LocalBotApi()
    markup = keyboard({"text": "Yes", "callback_data": "vote:yes"})
    _, body = await send_html(api, "Vote?", reply_markup=markup)
    message_id = body["result"]["message_id"]

    update = api.make_callback(message_id, "vote:yes", chat_id=CHAT)
    query = update["callback_query"]
    assert query["data"] == "vote:yes" and query["message"]["text"] == "Vote?"
    with pytest.raises(LookupError):
        api.make_callback(message_id, "vote:no", chat_id=CHAT)

    status, body = await call(
        api, "answerCallbackQuery", callback_query_id=query["id"], text="x" * 201
    )
    assert refused(status, body, "Bad Request: MESSAGE_TOO_LONG")
    status, _ = await call(api, "answerCallbackQuery", callback_query_id=query["id"], text="Saved")
    assert status == 200
    assert [(a.query_id, a.text) for a in api.callback_answers] == [(query["id"], "Saved")]
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    status, body = await call(api, "answerCallbackQuery", callback_query_id=query["id"])
    assert refused(status, body, too_old)
    status, body = await call(api, "answerCallbackQuery", callback_query_id="nope")
    assert refused(status, body, too_old)


async def test_set_my_commands_validation_and_scopes() -> None:
    api = LocalBotApi()
    for commands, description in [
        ([{"command": "Brief", "description": "x"}], "Bad Request: BOT_COMMAND_INVALID"),
        ([{"command": "a" * 33, "description": "x"}], "Bad Request: BOT_COMMAND_INVALID"),
        ([{"command": "brief", "description": ""}], "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"),
        (
            [{"command": "brief", "description": "d" * 257}],
            "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID",
        ),
        (
            [{"command": f"c{i}", "description": "d"} for i in range(101)],
            "Bad Request: BOT_COMMANDS_TOO_MUCH",
        ),
    ]:
        status, body = await call(api, "setMyCommands", commands=json.dumps(commands))
        assert refused(status, body, description)

    brief = [{"command": "brief", "description": "Latest briefing"}]
    admin = [{"command": "import", "description": "Import facts"}]
    scope = {"type": "chat", "chat_id": CHAT}
    assert (await call(api, "setMyCommands", commands=brief))[0] == 200
    assert (await call(api, "setMyCommands", commands=admin, scope=json.dumps(scope)))[0] == 200
    assert (await call(api, "getMyCommands"))[1]["result"] == brief
    assert (await call(api, "getMyCommands", scope=scope))[1]["result"] == admin
    assert api.commands(scope) == admin
    assert (await call(api, "deleteMyCommands", scope=scope))[0] == 200
    assert api.commands(scope) == [] and api.commands() == brief


# ---- updates ---------------------------------------------------------------------------------


def test_make_message_adds_bot_command_entity() -> None:
    api = LocalBotApi()
    message = api.make_message("/brief@BriefingTestBot 😀 today")["message"]
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 22}]
    assert message["chat"] == {"id": 200001, "type": "private", "first_name": "Test"}
    assert "entities" not in api.make_message("hello /brief")["message"]
    first, second = api.make_message("/a"), api.make_message("/b")
    assert second["update_id"] == first["update_id"] + 1
    assert api.pending_updates() == []  # nothing is queued unless asked


async def test_get_updates_long_poll_offset_and_conflict() -> None:
    api = LocalBotApi()
    poll = asyncio.create_task(call(api, "getUpdates", timeout=5))
    await asyncio.sleep(0.05)
    assert not poll.done()
    update = api.make_message("/brief", chat_id=CHAT, push=True)
    status, body = await asyncio.wait_for(poll, 1)
    assert status == 200 and body["result"] == [update]

    # Not confirmed yet: delivered again; confirmed by offset: gone.
    assert (await call(api, "getUpdates"))[1]["result"] == [update]
    offset = update["update_id"] + 1
    assert (await call(api, "getUpdates", offset=offset))[1]["result"] == []

    older = asyncio.create_task(call(api, "getUpdates", offset=offset, timeout=5))
    await asyncio.sleep(0.05)
    newer = asyncio.create_task(call(api, "getUpdates", offset=offset, timeout=0.1))
    status, body = await asyncio.wait_for(older, 1)
    assert status == 409 and body["description"].startswith("Conflict: terminated by other")
    assert (await newer)[0] == 200


# ---- python-telegram-bot, in process -----------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_html(f"<b>echo</b>: {' '.join(context.args or [])}")


def local_app(api: LocalBotApi) -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        Application.builder()
        .token(FAKE_TOKEN)
        .request(LocalRequest(api))
        .get_updates_request(LocalRequest(api))
        .updater(None)
        .build()
    )
    app.add_handler(CommandHandler("echo", echo))
    return app


async def test_in_process_application_replies() -> None:
    api = LocalBotApi()
    async with local_app(api) as app:
        update = Update.de_json(api.make_message("/echo hi there", chat_id=CHAT), app.bot)
        await app.process_update(update)
    reply = api.last(CHAT)
    assert (reply.plain, reply.text, reply.parse_mode) == (
        "echo: hi there",
        "<b>echo</b>: hi there",
        "HTML",
    )
    assert reply.entities == [{"type": "bold", "offset": 0, "length": 4}]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_sees_telegram_errors() -> None:
    api = LocalBotApi()
    async with local_app(api) as app:
        with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "div"'):
            await app.bot.send_message(CHAT, "<div>x</div>", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="y" * 65)]])
            await app.bot.send_message(CHAT, "x", reply_markup=markup)
        api.inject_flood("sendMessage", retry_after=3)
        with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
            await app.bot.send_message(CHAT, "x")
        api.block_chat(CHAT)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await app.bot.send_message(CHAT, "x")
    assert api.sent() == []


async def test_documents_upload_and_download_in_process() -> None:
    api = LocalBotApi()
    update = api.make_document_message(b'{"facts": []}', "facts.json", chat_id=CHAT)
    file_id = update["message"]["document"]["file_id"]
    async with local_app(api) as app:
        file = await app.bot.get_file(file_id)
        assert bytes(await file.download_as_bytearray()) == b'{"facts": []}'
        await app.bot.send_document(
            CHAT, b"date,fact\n", filename="export.csv", caption="<i>Export</i>", parse_mode="HTML"
        )
    (sent,) = api.documents(CHAT)
    assert (sent.document, sent.filename, sent.plain) == (b"date,fact\n", "export.csv", "Export")


# ---- over HTTP -------------------------------------------------------------------------------


async def test_end_to_end_polling_over_http() -> None:
    async with FakeTelegramServer(token=FAKE_TOKEN) as server:
        api = server.api
        app = (
            Application.builder()
            .token(FAKE_TOKEN)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
        app.add_handler(CommandHandler("echo", echo))
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            api.make_message("/echo over http", chat_id=CHAT, push=True)
            await wait_for(lambda: bool(api.sent(CHAT)), "the echo", seconds=5)
            assert api.last(CHAT).plain == "echo: over http"
            assert api.last(CHAT).text == "<b>echo</b>: over http"
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
    methods = [name for name, _ in api.calls]
    assert methods[:2] == ["getMe", "deleteWebhook"] and "getUpdates" in methods


async def test_http_server_token_forms_json_and_files() -> None:
    async with FakeTelegramServer(token=FAKE_TOKEN) as server, aiohttp.ClientSession() as session:
        async with session.post(f"{server.base_url}WRONG:TOKEN/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        url = f"{server.base_url}{FAKE_TOKEN}/sendMessage"
        markup = json.dumps(keyboard({"text": "Go", "callback_data": "go"}))
        form = {
            "chat_id": str(CHAT),
            "text": "<b>form</b>",
            "parse_mode": "HTML",
            "reply_markup": markup,
        }
        async with session.post(url, data=form) as response:
            assert response.status == 200
            assert (await response.json())["result"]["text"] == "form"
        async with session.post(url, json={"chat_id": CHAT, "text": "<i>json"}) as response:
            body = await response.json()
        assert response.status == 200 and body["result"]["text"] == "<i>json"  # no parse_mode
        async with session.post(
            url, json={"chat_id": CHAT, "text": "<i>json", "parse_mode": "HTML"}
        ) as response:
            assert response.status == 400
        update = server.api.make_document_message(b"payload", "a.txt", chat_id=CHAT)
        async with session.get(
            f"{server.base_url}{FAKE_TOKEN}/getFile",
            params={"file_id": update["message"]["document"]["file_id"]},
        ) as response:
            file_path = (await response.json())["result"]["file_path"]
        async with session.get(f"{server.base_file_url}{FAKE_TOKEN}/{file_path}") as response:
            assert response.status == 200 and await response.read() == b"payload"
    assert [(m.plain, m.buttons) for m in server.api.sent(CHAT)] == [
        ("form", [[("Go", "go")]]),
        ("<i>json", []),
    ]


async def test_delete_reply_chat_action_and_webhook_refusals() -> None:
    api = LocalBotApi()
    _, body = await send_html(api, "to delete")
    message_id = body["result"]["message_id"]
    assert (await call(api, "deleteMessage", chat_id=CHAT, message_id=message_id))[0] == 200
    assert api.last(CHAT).deleted
    status, body = await call(api, "deleteMessage", chat_id=CHAT, message_id=message_id)
    assert refused(status, body, "Bad Request: message to delete not found")

    status, body = await send_html(api, "reply", reply_parameters={"message_id": 777})
    assert refused(status, body, "Bad Request: message to be replied not found")
    status, body = await call(api, "sendChatAction", chat_id=CHAT, action="dancing")
    assert refused(status, body, "Bad Request: wrong parameter action in request")
    assert (await call(api, "sendChatAction", chat_id=CHAT, action="typing"))[0] == 200
    assert api.chat_actions == [(CHAT, "typing")]

    status, body = await call(api, "setWebhook", url="http://example.org/hook")
    assert refused(
        status, body, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
    )
    assert (await call(api, "setWebhook", url="https://example.org/hook"))[0] == 200
    status, body = await call(api, "getUpdates")
    assert status == 409 and body["description"].startswith("Conflict: can't use getUpdates")
    assert (await call(api, "deleteWebhook"))[0] == 200
    assert (await call(api, "getUpdates"))[1]["result"] == []


# ---- inline mode, forum topics, photos, descriptions ----------------------------------------


def png(width: int, height: int) -> bytes:
    """The header of a PNG of the given size: all of an image that the fake reads."""
    header = struct.pack(">II", width, height) + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header + b"\0" * 4


def article(result_id: str, **extra: Any) -> dict[str, Any]:
    content = {"message_text": f"fact {result_id}"}
    return {"type": "article", "id": result_id, "title": "t", "input_message_content": content}


async def test_answer_inline_query_limits() -> None:
    api = LocalBotApi()
    query_id = api.make_inline_query("ceasefire")["inline_query"]["id"]
    for results, description in [
        ([article(str(i)) for i in range(51)], "Bad Request: RESULTS_TOO_MUCH"),
        ([article("x" * 65)], "Bad Request: RESULT_ID_INVALID"),
        ([article("é" * 33)], "Bad Request: RESULT_ID_INVALID"),  # 66 bytes
        ([article("")], "Bad Request: RESULT_ID_INVALID"),
        ([article("1"), article("1")], "Bad Request: RESULT_ID_DUPLICATE"),
        ([{**article("1"), "type": "poll"}], "Bad Request: RESULT_TYPE_INVALID"),
        (
            [{**article("1"), "reply_markup": keyboard({"text": "x", "callback_data": "y" * 65})}],
            "Bad Request: BUTTON_DATA_INVALID",
        ),
    ]:
        status, body = await call(
            api, "answerInlineQuery", inline_query_id=query_id, results=json.dumps(results)
        )
        assert refused(status, body, description)
    assert api.inline_answers == []

    fifty = [article("x" * 63 + str(i % 10) if i < 10 else str(i)) for i in range(50)]
    status, _ = await call(api, "answerInlineQuery", inline_query_id=query_id, results=fifty)
    assert status == 200
    (answer,) = api.inline_answers
    assert answer.query_id == query_id and [r["id"] for r in answer.results][10:12] == ["10", "11"]
    status, body = await call(api, "answerInlineQuery", inline_query_id=query_id, results=[])
    assert refused(
        status,
        body,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_inline_answers_and_refusals() -> None:
    api = LocalBotApi()
    query_id = api.make_inline_query("talks", user_id=CHAT)["inline_query"]["id"]
    async with local_app(api) as app:
        too_many = [
            InlineQueryResultArticle(str(i), "t", InputTextMessageContent("x")) for i in range(51)
        ]
        with pytest.raises(BadRequest, match=r"(?i)results_too_much"):
            await app.bot.answer_inline_query(query_id, too_many)
        one = [InlineQueryResultArticle("r1", "Round 1", InputTextMessageContent("Istanbul"))]
        assert await app.bot.answer_inline_query(query_id, one, cache_time=5)
    (answer,) = api.inline_answers
    assert answer.cache_time == 5
    assert answer.results[0]["input_message_content"]["message_text"] == "Istanbul"


async def test_message_thread_id_is_recorded_on_sends() -> None:
    api = LocalBotApi()
    group = -1001002003004
    api.make_message("/start", chat_type="supergroup")  # the bot knows the forum
    _, body = await call(api, "sendMessage", chat_id=group, text="topic", message_thread_id=7)
    assert body["result"]["message_thread_id"] == 7 and body["result"]["is_topic_message"]
    upload = UploadedFile("a.csv", b"a,b\n", "text/csv")
    await call(api, "sendDocument", chat_id=group, document=upload, message_thread_id="7")
    await call(api, "sendPhoto", chat_id=group, photo=UploadedFile("p.png", png(4, 3)))
    assert [(m.method, m.message_thread_id) for m in api.sent(group)] == [
        ("sendMessage", 7),
        ("sendDocument", 7),
        ("sendPhoto", None),
    ]
    status, body = await call(api, "sendMessage", chat_id=group, text="x", message_thread_id=0)
    assert refused(status, body, "Bad Request: message thread not found")
    status, body = await call(api, "sendMessage", chat_id=group, text="x", message_thread_id="a")
    assert refused(status, body, "Bad Request: message thread not found")
    assert len(api.sent(group)) == 3


async def test_send_photo_upload_file_id_and_refusals() -> None:
    api = LocalBotApi()
    async with local_app(api) as app:
        sent = await app.bot.send_photo(
            CHAT, png(800, 600), caption="<b>Map</b>", parse_mode="HTML", message_thread_id=3
        )
        (size,) = sent.photo
        assert (size.width, size.height, size.file_size) == (800, 600, len(png(800, 600)))
        again = await app.bot.send_photo(CHAT, size.file_id)
        assert again.photo[-1].file_id == size.file_id
        with pytest.raises(BadRequest, match=r"(?i)can't use file of type photo as document"):
            await app.bot.send_document(CHAT, size.file_id)
        file = await app.bot.get_file(size.file_id)
        assert bytes(await file.download_as_bytearray()) == png(800, 600)
    first, second = api.sent(CHAT)
    assert (first.method, first.plain, first.photo, first.message_thread_id) == (
        "sendPhoto",
        "Map",
        png(800, 600),
        3,
    )
    assert second.photo == png(800, 600) and second.plain == ""

    document = api.make_document_message(b"{}", "facts.json", chat_id=CHAT)
    for photo, description in [
        (UploadedFile("x.png", b"not an image"), "Bad Request: IMAGE_PROCESS_FAILED"),
        (UploadedFile("x.png", b""), "Bad Request: file must be non-empty"),
        (UploadedFile("x.png", png(9000, 1001)), "Bad Request: PHOTO_INVALID_DIMENSIONS"),
        (UploadedFile("x.png", png(2100, 100)), "Bad Request: PHOTO_INVALID_DIMENSIONS"),
        (
            document["message"]["document"]["file_id"],
            "Bad Request: can't use file of type Document as Photo",
        ),
        ("nonsense", "Bad Request: wrong file identifier/HTTP URL specified"),
        (None, "Bad Request: there is no photo in the request"),
    ]:
        status, body = await call(api, "sendPhoto", chat_id=CHAT, photo=photo)
        assert refused(status, body, description)
    assert len(api.sent(CHAT)) == 2


async def test_send_photo_multipart_over_http() -> None:
    async with FakeTelegramServer(token=FAKE_TOKEN) as server, aiohttp.ClientSession() as session:
        form = aiohttp.FormData()
        form.add_field("chat_id", str(CHAT))
        form.add_field("caption", "Front line")
        form.add_field("message_thread_id", "12")
        form.add_field("photo", png(640, 480), filename="map.png", content_type="image/png")
        async with session.post(f"{server.base_url}{FAKE_TOKEN}/sendPhoto", data=form) as response:
            assert response.status == 200
            result = (await response.json())["result"]
    assert result["caption"] == "Front line" and result["message_thread_id"] == 12
    assert [(p["width"], p["height"]) for p in result["photo"]] == [(640, 480)]
    (sent,) = server.api.sent(CHAT)
    assert (sent.photo, sent.message_thread_id) == (png(640, 480), 12)


async def test_descriptions_and_commands_per_language() -> None:
    api = LocalBotApi()
    for method, field, limit in [
        ("setMyDescription", "description", 512),
        ("setMyShortDescription", "short_description", 120),
    ]:
        getter = method.replace("set", "get", 1)
        status, body = await call(api, method, **{field: "d" * (limit + 1)})
        assert refused(status, body, f"Bad Request: {field.replace('_', ' ')} is too long")
        status, body = await call(api, method, **{field: "x", "language_code": "ukr"})
        assert refused(status, body, "Bad Request: invalid language code specified")
        assert (await call(api, method, **{field: "d" * limit}))[0] == 200
        assert (await call(api, method, **{field: "Брифінг", "language_code": "uk"}))[0] == 200
        assert (await call(api, getter, language_code="uk"))[1]["result"] == {field: "Брифінг"}
        # A language without its own text falls back to the default one, like Telegram.
        assert (await call(api, getter, language_code="de"))[1]["result"] == {field: "d" * limit}
        assert (await call(api, method, language_code="uk"))[0] == 200  # empty: removed
        assert (await call(api, getter, language_code="uk"))[1]["result"] == {field: "d" * limit}

    brief = [{"command": "brief", "description": "Брифінг"}]
    assert (await call(api, "setMyCommands", commands=brief, language_code="uk"))[0] == 200
    status, body = await call(api, "setMyCommands", commands=brief, language_code="uk-UA")
    assert refused(status, body, "Bad Request: invalid language code specified")
    assert api.commands(language_code="uk") == brief and api.commands() == []
    async with local_app(api) as app:
        assert await app.bot.set_my_description("Peace talks", language_code="en")
        assert (await app.bot.get_my_description("en")).description == "Peace talks"
        assert await app.bot.set_my_short_description("Talks", language_code="en")
        assert (await app.bot.get_my_short_description("en")).short_description == "Talks"
