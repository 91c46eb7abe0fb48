"""`python -m bot console`: chat with the real Application in a terminal, no Telegram needed."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import ClassVar, TextIO

from telegram import Update

from bot.app import build_application, running
from core.settings import Settings
from fake_telegram import LocalBotApi, LocalRequest, SentMessage
from handlers.forms import is_field_line

CONSOLE_USER_ID = 10_001
CONSOLE_ADMIN_ID = 10_002

BANNER = (
    "Peace talks briefing — local console (no Telegram involved).\n"
    "Type a command such as /help or /latest; type a button's number to press it; "
    "end a line with \\ to continue the message on the next line; Ctrl-D quits.\n"
)


class _TerminalHtml(HTMLParser):
    """Telegram HTML to terminal text: bold and italics as ANSI styles, links spelled out."""

    STYLES: ClassVar[dict[str, str]] = {
        "b": "1",
        "strong": "1",
        "i": "3",
        "em": "3",
        "u": "4",
        "code": "36",
        "pre": "36",
    }

    def __init__(self, color: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.color = color
        self.out: list[str] = []
        self.open_links: list[tuple[str, int]] = []
        self.styles: list[str] = []

    def _restyle(self) -> None:
        if self.color:
            self.out.append("\033[0m" + "".join(f"\033[{s}m" for s in self.styles))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.open_links.append((dict(attrs).get("href") or "", len(self.out)))
        elif tag in self.STYLES:
            self.styles.append(self.STYLES[tag])
            self._restyle()

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.open_links:
            href, start = self.open_links.pop()
            label = "".join(self.out[start:])
            if href and href != label:
                self.out.append(f" <{href}>")
        elif tag in self.STYLES and self.styles:
            self.styles.pop()
            self._restyle()

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def html_to_terminal(text: str, *, color: bool) -> str:
    """Render a Telegram HTML message for a terminal."""
    parser = _TerminalHtml(color)
    parser.feed(text)
    parser.close()
    rendered = "".join(parser.out)
    return rendered + ("\033[0m" if color else "")


def render_message(message: SentMessage, *, color: bool) -> str:
    """One bot message as the console shows it, with its buttons numbered."""
    if message.parse_mode and message.parse_mode.upper() == "HTML" and message.text is not None:
        body = html_to_terminal(message.text, color=color)
    else:
        body = message.plain
    if message.document is not None:
        body = f"[document {message.filename or 'file'}, {len(message.document):,} bytes] {body}"
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    numbered = [b["text"] for row in rows for b in row if "callback_data" in b]
    links = [f"{b['text']} <{b['url']}>" for row in rows for b in row if "url" in b]
    if numbered:
        body += "\n" + "   ".join(f"[{i}] {label}" for i, label in enumerate(numbered, start=1))
    if links:
        body += "\n" + "   ".join(links)
    prefix = "bot (edited)> " if message.edited else "bot> "
    return prefix + body.replace("\n", "\n     ")


async def read_messages(stdin: TextIO, stdout: TextIO, *, interactive: bool) -> AsyncIterator[str]:
    """Yield whole chat messages typed or piped in.

    A line ending in a backslash continues on the next line. From a pipe, `field: value` lines
    right after a command are part of that command's message, as they would be in Telegram.
    """
    pending: str | None = None
    while True:
        if interactive:
            stdout.write("you> ")
            stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        text = line.rstrip("\n")
        while text.endswith("\\"):
            if interactive:
                stdout.write("...> ")
                stdout.flush()
            more = await asyncio.to_thread(stdin.readline)
            text = text[:-1] + "\n" + more.rstrip("\n")
            if not more:
                break
        text = text.strip()
        if interactive:
            if text:
                yield text
            continue
        if pending is not None and pending.startswith("/") and is_field_line(text):
            pending += "\n" + text
            continue
        if pending:
            yield pending
        pending = text or None
    if pending:
        yield pending


async def run_console(
    settings: Settings,
    *,
    admin: bool = False,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Read lines, feed them to the bot as a private chat, print its answers; 0 at end of input."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    color = stdout.isatty()
    user_id = CONSOLE_ADMIN_ID if admin else CONSOLE_USER_ID
    if admin:
        settings = settings.model_copy(update={"admin_ids": settings.admin_ids | {user_id}})
    if "log_level" not in settings.model_fields_set:
        # Keep the transcript clean unless LOG_LEVEL was asked for explicitly.
        logging.getLogger().setLevel(logging.WARNING)
    api = LocalBotApi()
    app = build_application(settings, request=LocalRequest(api), updates_request=LocalRequest(api))
    buttons: list[tuple[int, str]] = []
    seen = 0
    async with running(app):
        if interactive:
            stdout.write(BANNER + ("You are an editor (admin).\n" if admin else ""))
        async for line in read_messages(stdin, stdout, interactive=interactive):
            if line.isdigit() and 1 <= int(line) <= len(buttons):
                message_id, data = buttons[int(line) - 1]
                raw = api.make_callback(
                    message_id, data, chat_id=user_id, user_id=user_id, first_name="Console"
                )
            else:
                raw = api.make_message(line, chat_id=user_id, user_id=user_id, first_name="Console")
            answers_before = len(api.callback_answers)
            await app.process_update(Update.de_json(raw, app.bot))
            for answer in api.callback_answers[answers_before:]:
                if answer.text:
                    stdout.write(f"bot (notice)> {answer.text}\n")
            new = api.sent(user_id)[seen:]
            seen += len(new)
            for message in new:
                stdout.write(render_message(message, color=color) + "\n")
                rows = (message.reply_markup or {}).get("inline_keyboard") or []
                pressable = [
                    b["callback_data"] for row in rows for b in row if "callback_data" in b
                ]
                buttons = [(message.message_id, data) for data in pressable]
            stdout.flush()
    return 0
