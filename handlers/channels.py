"""/channel add|list|remove: editors connect channels the bot administers to post briefings there.

A connected channel gets the morning briefing at the time the editor gives (BRIEFING_TIME by
default) and, when connected with `news`, the editors' breaking news (/broadcast).
"""

from __future__ import annotations

import datetime as dt
import re

from telegram import ChatMemberAdministrator, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CommandHandler

from core.context import BotContext
from core.i18n import LANGUAGES, _
from core.zones import parse_time_of_day, resolve_zone, split_time_and_zone
from handlers.admin import editors_only
from handlers.common import TOO_LONG_REPLY, command_args, reply, too_long
from render.blocks import esc
from services.scheduling import schedule_slot
from store import subscriptions

_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{3,31})")
NEWS_WORDS = frozenset({"news", "+news", "breaking"})


def usage() -> str:
    """How /channel is used."""
    return _(
        "Usage: <code>/channel add @name [TIME] [ZONE] [news] [en|uk|ru]</code> (the briefing "
        "at TIME, breaking news with <code>news</code>, in that language), "
        "<code>/channel list</code>, "
        "<code>/channel remove @name</code>. I must be an administrator of the channel "
        "with the right to post messages."
    )


def _when(at: dt.time, zone: str) -> str:
    city = zone.rsplit("/", 1)[-1].replace("_", " ")
    return _("{time} {city} time").format(time=f"{at:%H:%M}", city=esc(city))


async def _bot_may_post(context: BotContext, chat_id: int, name: str) -> str | None:
    """None when the bot administers the channel with the right to post; else why not."""
    try:
        member = await context.bot.get_chat_member(chat_id, context.bot.id)
    except (BadRequest, Forbidden):
        member = None
    if not isinstance(member, ChatMemberAdministrator):
        return _(
            "I'm not an administrator of @{name}. Add me as an administrator with the right "
            "to post messages, then send the command again."
        ).format(name=esc(name))
    if not member.can_post_messages:
        return _(
            "I'm an administrator of @{name} but may not post messages there. Give me the "
            "“Post messages” right, then send the command again."
        ).format(name=esc(name))
    return None


async def _add(update: Update, context: BotContext, args: str) -> None:
    words = args.split()
    match = _USERNAME.fullmatch(words[0]) if words else None
    if match is None:
        await reply(update, _("Which channel? Give its @name.") + "\n" + usage())
        return
    name = match.group(1)
    rest = [w for w in words[1:] if w.lower() not in NEWS_WORDS]
    news = len(rest) < len(words) - 1
    # A channel has no user whose Telegram language could be read: the editor names it.
    languages = [w.lower() for w in rest if w.lower() in LANGUAGES]
    rest = [w for w in rest if w.lower() not in LANGUAGES]
    language = languages[-1] if languages else None
    settings = context.settings
    time_text, zone_text = split_time_and_zone(" ".join(rest))
    at = settings.briefing_time
    if time_text:
        parsed = parse_time_of_day(time_text)
        if parsed is None:
            await reply(
                update,
                _("I couldn't read “{text}” as a time of day. Try 7:30, 07:00 or 8am.").format(
                    text=esc(time_text[:20])
                ),
            )
            return
        at = parsed
    zone = settings.timezone
    if zone_text:
        resolved = resolve_zone(zone_text)
        if resolved is None:
            await reply(
                update,
                _("I don't know the time zone “{text}”.").format(text=esc(zone_text[:40])),
            )
            return
        zone = resolved
    try:
        chat = await context.bot.get_chat(f"@{name}")
    except (BadRequest, Forbidden):
        await reply(
            update,
            _("I can't find a channel @{name}. Is the name right, and is it public?").format(
                name=esc(name)
            ),
        )
        return
    if chat.type != ChatType.CHANNEL:
        await reply(update, _("@{name} is not a channel.").format(name=esc(name)))
        return
    refusal = await _bot_may_post(context, chat.id, name)
    if refusal is not None:
        await reply(update, refusal)
        return
    username = chat.username or name
    async with context.session() as session:
        await subscriptions.connect_channel(
            session,
            chat_id=chat.id,
            username=username,
            at=at,
            zone=zone,
            news=news,
            language=language,
        )
    schedule_slot(context.application, at, zone)
    lines = [
        _("📢 Connected @{name} ({title}): the morning briefing at {when}.").format(
            name=esc(username), title=esc(chat.title or username), when=_when(at, zone)
        ),
        _("Breaking news: posted there too.")
        if news
        else _("Breaking news: not posted there (add <code>news</code> to post them)."),
    ]
    await reply(update, "\n".join(lines))


async def _list(update: Update, context: BotContext) -> None:
    async with context.session() as session:
        rows = await subscriptions.channels(session)
    if not rows:
        await reply(update, _("No channel is connected. /channel add @name connects one."))
        return
    lines = [_("📢 <b>Connected channels</b>")]
    for row in rows:
        at = row.briefing_time or context.settings.briefing_time
        zone = row.timezone or context.settings.timezone
        news = _("breaking news too") if row.news else _("briefing only")
        state = "" if row.active else " " + _("(paused: I may no longer post there)")
        lines.append(f"• @{esc(row.username or row.chat_id)} — {_when(at, zone)}, {news}{state}")
    await reply(update, "\n".join(lines))


async def _remove(update: Update, context: BotContext, args: str) -> None:
    match = _USERNAME.fullmatch(args.strip())
    if match is None:
        await reply(update, _("Which channel? Give its @name.") + "\n" + usage())
        return
    name = match.group(1)
    async with context.session() as session:
        row = await subscriptions.disconnect_channel(session, username=name)
    if row is None:
        await reply(
            update,
            _("@{name} is not connected. /channel list shows those that are.").format(
                name=esc(name)
            ),
        )
        return
    await reply(
        update,
        _("Disconnected @{name}: nothing more is posted there.").format(
            name=esc(row.username or name)
        ),
    )


@editors_only
async def channel_cmd(update: Update, context: BotContext) -> None:
    """Connect, list or disconnect the channels briefings are posted to."""
    args = command_args(update)
    if too_long(args):
        await reply(update, _(TOO_LONG_REPLY))
        return
    what, _sep, rest = args.partition(" ")
    what = what.lower()
    if what == "add":
        await _add(update, context, rest.strip())
    elif what == "list" and not rest.strip():
        await _list(update, context)
    elif what == "remove":
        await _remove(update, context, rest)
    else:
        await reply(update, usage())


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /channel."""
    app.add_handler(CommandHandler("channel", channel_cmd))
