"""/subscribe, /unsubscribe, /settings and /brief: the morning briefing, at each reader's time."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.dates import format_date
from core.i18n import N_, _
from core.zones import (
    ZONE_EXAMPLES,
    parse_time_of_day,
    resolve_zone,
    split_time_and_zone,
    zone_city,
)
from handlers.chats import thread_of
from handlers.common import (
    ALL_WORDS,
    TOO_LONG_REPLY,
    command_args,
    reply,
    stale_button,
    too_long,
)
from kinds.digest import changes_between
from kinds.interests import Interests, Unknown, for_interests, load_interests, parse_interests
from render.blocks import esc
from render.briefing import briefing_messages
from services.briefing_texts import FIRST_BRIEFING_WINDOW
from services.delivery import briefing_key
from services.scheduling import next_delivery, schedule_slot
from store import subscriptions
from store.models import Subscriber, utcnow
from store.queries import get_subscriber

SUBSCRIBE_USAGE = N_(
    "Usage: <code>/subscribe [TIME] [ZONE] [topics: A, B]</code>, e.g. <code>/subscribe</code>, "
    "<code>/subscribe 7:30</code>, <code>/subscribe 8am Europe/Kyiv</code>, "
    "<code>/subscribe 07:00 London</code>, <code>/subscribe 6:45 New York</code>, "
    "<code>/subscribe 7:30 Kyiv topics: exchanges, ceasefire</code>"
)
SETTINGS_USAGE = N_(
    "Change with <code>/settings time 7:30</code>, <code>/settings zone London</code>, "
    "<code>/settings quiet on</code> (or off), <code>/settings notices off</code> (or on), "
    "<code>/settings topics exchanges, ceasefire</code> (or all)."
)
# What `/settings NAME` needs after it, for one typed without (or with a bad on/off).
_SETTING_EXAMPLES = {
    "time": "/settings time 7:30",
    "zone": "/settings zone London",
    "quiet": "/settings quiet on",
    "notices": "/settings notices off",
    "topics": "/settings topics exchanges, ceasefire",
    "topic": "/settings topics exchanges, ceasefire",
}
TOPICS_HELP = N_(
    "Topics are kinds of fact (updates, positions, exchanges, rounds, documents) or issues "
    "(e.g. ceasefire, nato, territory, prisoners): "
    "<code>/subscribe 7:30 Kyiv topics: exchanges, ceasefire</code>."
)
_TOPICS = re.compile(r"(?:^|\s)topics?\s*:", re.IGNORECASE)
_FLAG_DATA = re.compile(r"set:(\w+):([01])")  # a /settings button: set:quiet:1, set:notices:0


def _when(at: dt.time, zone: str) -> str:
    return _("{time} {city} time ({zone})").format(
        time=f"{at:%H:%M}", city=zone_city(zone), zone=zone
    )


async def _next_text(
    context: BotContext, chat_id: int, at: dt.time, zone: str, thread_id: int = 0
) -> str:
    now = utcnow()
    today = now.astimezone(ZoneInfo(zone)).date()
    async with context.session() as session:
        sent_today = await subscriptions.delivered(
            session, chat_id=chat_id, key=briefing_key(today), thread_id=thread_id
        )
    upcoming = next_delivery(at, zone, now=now, sent_today=sent_today)
    return f"{format_date(upcoming.date())}, {upcoming:%H:%M}"


def _bad_time(text: str) -> str:
    return (
        _("I couldn't read “{given}” as a time of day. Try 7:30, 07:00 or 8am.").format(
            given=esc(text[:20])
        )
        + "\n"
        + _(SUBSCRIBE_USAGE)
    )


def _bad_zone(text: str) -> str:
    return _(
        "I don't know the time zone “{given}”. Try a city or an IANA name: {examples}."
    ).format(given=esc(text[:40]), examples=_(ZONE_EXAMPLES))


async def subscribe_cmd(update: Update, context: BotContext) -> None:
    """Subscribe (or resume, or change time and zone) and say when the next briefing comes."""
    args = command_args(update)
    if too_long(args):
        await reply(update, _(TOO_LONG_REPLY))
        return
    chat = update.effective_chat
    assert chat is not None
    thread = thread_of(update)
    args, topics_text = split_topics(args)
    if topics_text is not None and topics_text.strip().casefold() in ALL_WORDS:
        topics_text = ""  # no topics named: everything, as /settings topics all
    interests: Interests | None = None
    if topics_text is not None:
        async with context.session() as session:
            parsed_topics = await parse_interests(session, topics_text)
        if isinstance(parsed_topics, Unknown):
            await reply(update, unknown_topic(parsed_topics))
            return
        interests = parsed_topics
    async with context.session() as session:
        current = await get_subscriber(session, chat_id=chat.id, thread_id=thread)
    settings = context.settings
    time_text, zone_text = split_time_and_zone(args)
    at = (current.briefing_time if current else None) or settings.briefing_time
    if time_text:
        parsed = parse_time_of_day(time_text)
        if parsed is None:
            await reply(update, _bad_time(time_text))
            return
        at = parsed
    zone = (current.timezone if current else None) or settings.timezone
    if zone_text:
        resolved = resolve_zone(zone_text)
        if resolved is None:
            await reply(update, _bad_zone(zone_text))
            return
        zone = resolved
    user = update.effective_user
    async with context.session() as session:
        await subscriptions.subscribe(
            session,
            chat_id=chat.id,
            chat_type=chat.type,
            language_code=user.language_code if user else None,
            at=at,
            zone=zone,
            thread_id=thread,
            interests=interests.stored() if interests is not None else None,
        )
        row = await get_subscriber(session, chat_id=chat.id, thread_id=thread)
        followed = await load_interests(session, row.interests if row else None)
    schedule_slot(context.application, at, zone)
    upcoming = await _next_text(context, chat.id, at, zone, thread)
    await reply(
        update,
        _(
            "✅ Subscribed: a briefing every morning at {when}.\n"
            "{topics}\n"
            "Next one: <b>{next}</b>.\n"
            "/settings to change it, /brief to see what it would say now, /unsubscribe to stop."
        ).format(when=_when(at, zone), topics=topics_line(followed), next=upcoming),
    )


async def unsubscribe_cmd(update: Update, context: BotContext) -> None:
    """Stop briefings; time, zone and quiet mode are kept for a later /subscribe."""
    chat = update.effective_chat
    assert chat is not None
    async with context.session() as session:
        stopped = await subscriptions.unsubscribe(
            session, chat_id=chat.id, thread_id=thread_of(update)
        )
    if stopped:
        await reply(
            update, _("Unsubscribed: no more briefings. /subscribe resumes them as they were.")
        )
    else:
        await reply(update, _("You are not subscribed. /subscribe starts the morning briefing."))


def split_topics(args: str) -> tuple[str, str | None]:
    """'7:30 Kyiv topics: exchanges, ceasefire' -> ('7:30 Kyiv', 'exchanges, ceasefire')."""
    match = _TOPICS.search(args)
    if match is None:
        return args, None
    return args[: match.start()].strip(), args[match.end() :].strip()


def unknown_topic(unknown: Unknown) -> str:
    """The answer to a topic name that is neither a kind nor an issue."""
    text = _("I don't know the topic “{name}”.").format(name=esc(unknown.name))
    if unknown.suggestions:
        text += " " + _("Did you mean: {names}?").format(names=esc(", ".join(unknown.suggestions)))
    return text + "\n" + _(TOPICS_HELP)


def topics_line(interests: Interests | None) -> str:
    """'Topics: everything' or the kinds and issues a chat follows."""
    if interests is None:
        return _("Topics: everything")
    return _("Topics: {names} (and their corrections)").format(names=esc(interests.describe()))


async def _settings_text(sub: Subscriber | None, context: BotContext) -> str:
    settings = context.settings
    at = (sub.briefing_time if sub else None) or settings.briefing_time
    zone = (sub.timezone if sub else None) or settings.timezone
    subscribed = bool(sub and sub.subscribed)
    state = _("subscribed") if subscribed else _("not subscribed")
    if sub is not None and subscribed and not sub.active:
        state = _("paused (Telegram said the bot was blocked; /start resumes)")
    async with context.session() as session:
        followed = await load_interests(session, sub.interests if sub else None)
    return (
        _(
            "⚙️ <b>Your briefing settings</b>\n"
            "Status: {state}\nTime: {when}\n"
            "Quiet (no notification sound): {quiet}"
        ).format(
            state=state, when=_when(at, zone), quiet=_("on") if sub and sub.quiet else _("off")
        )
        + "\n"
        + _notices_line(sub)
        + "\n"
        + topics_line(followed)
        + "\n\n"
        + _(SETTINGS_USAGE)
    )


def _settings_buttons(sub: Subscriber | None) -> InlineKeyboardMarkup:
    quiet = bool(sub and sub.quiet)
    label = _("🔔 Turn sound on") if quiet else _("🔕 Quiet mode")
    notices = sub is None or sub.notices
    notices_label = _("📨 Correction notices off") if notices else _("📨 Correction notices on")
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=f"set:quiet:{0 if quiet else 1}")],
            [
                InlineKeyboardButton(
                    notices_label, callback_data=f"set:notices:{0 if notices else 1}"
                )
            ],
        ]
    )


def _notices_line(sub: Subscriber | None) -> str:
    on = sub is None or sub.notices
    return _("Correction notices (when a fact you were sent is corrected): {state}").format(
        state=_("on") if on else _("off")
    )


async def settings_cmd(update: Update, context: BotContext) -> None:
    """Show the briefing settings, or change time, zone, topics, quiet mode or notices."""
    chat = update.effective_chat
    assert chat is not None
    thread = thread_of(update)
    args = command_args(update)
    words = args.split(maxsplit=1)
    if words:
        what, value = words[0].lower(), (words[1] if len(words) > 1 else "")
        if what in _SETTING_EXAMPLES and (
            not value.strip()
            or (what in subscriptions.FLAGS and value.lower() not in ("on", "off", "yes", "no"))
        ):
            # "/settings topics" alone must not reset the topics to everything.
            await reply(
                update,
                _("Say what to set it to, e.g. <code>{example}</code>.").format(
                    example=_SETTING_EXAMPLES[what]
                ),
            )
            return
        if what in subscriptions.FLAGS:
            async with context.session() as session:
                found = await subscriptions.set_flag(
                    session,
                    chat_id=chat.id,
                    flag=what,
                    on=value.lower() in ("on", "yes"),
                    thread_id=thread,
                )
            if found is None:
                await reply(update, _("Subscribe first: /subscribe"))
                return
        elif what in ("topics", "topic"):
            async with context.session() as session:
                current = await get_subscriber(session, chat_id=chat.id, thread_id=thread)
            if current is None or not current.subscribed:
                await reply(
                    update,
                    _("Subscribe first: /subscribe topics: {names}").format(names=esc(value[:80])),
                )
                return
            stored: str | None = None
            if value.strip().casefold() not in ALL_WORDS:  # `topics all` follows everything again
                async with context.session() as session:
                    parsed = await parse_interests(session, value)
                if isinstance(parsed, Unknown):
                    await reply(update, unknown_topic(parsed))
                    return
                stored = parsed.stored()
            async with context.session() as session:
                await subscriptions.set_interests(
                    session, chat_id=chat.id, interests=stored, thread_id=thread
                )
        elif what in ("time", "zone"):
            new_time = parse_time_of_day(value) if what == "time" else None
            new_zone = resolve_zone(value) if what == "zone" else None
            if what == "time" and new_time is None:
                await reply(update, _bad_time(value))
                return
            if what == "zone" and new_zone is None:
                await reply(update, _bad_zone(value))
                return
            async with context.session() as session:
                current = await get_subscriber(session, chat_id=chat.id, thread_id=thread)
            if current is None or not current.subscribed:
                await reply(
                    update, _("Subscribe first: /subscribe {value}").format(value=esc(value))
                )
                return
            at = new_time or current.briefing_time or context.settings.briefing_time
            zone = new_zone or current.timezone or context.settings.timezone
            async with context.session() as session:
                await subscriptions.subscribe(
                    session,
                    chat_id=chat.id,
                    chat_type=chat.type,
                    language_code=current.language_code,
                    at=at,
                    zone=zone,
                    thread_id=thread,
                )
            schedule_slot(context.application, at, zone)
        else:
            await reply(
                update,
                _("I can change time, zone, quiet, notices or topics.") + "\n" + _(SETTINGS_USAGE),
            )
            return
    async with context.session() as session:
        sub = await get_subscriber(session, chat_id=chat.id, thread_id=thread)
    await reply(update, await _settings_text(sub, context), _settings_buttons(sub))


async def flag_btn(update: Update, context: BotContext) -> None:
    """An on/off button of /settings: data set:<flag>:<0|1>, a flag of subscriptions.FLAGS."""
    chat = update.effective_chat
    query = update.callback_query
    assert chat is not None and query is not None
    match = _FLAG_DATA.fullmatch(query.data or "")
    if match is None or match[1] not in subscriptions.FLAGS:
        await stale_button(update, context)
        return
    async with context.session() as session:
        sub = await subscriptions.set_flag(
            session, chat_id=chat.id, flag=match[1], on=match[2] == "1", thread_id=thread_of(update)
        )
    if sub is None:
        await query.answer(_("Send /subscribe first."), show_alert=True)
        return
    await reply(update, await _settings_text(sub, context), _settings_buttons(sub))


async def brief_cmd(update: Update, context: BotContext) -> None:
    """What the next briefing would say if it were sent now."""
    chat = update.effective_chat
    assert chat is not None
    now = utcnow()
    async with context.session() as session:
        sub = await get_subscriber(session, chat_id=chat.id, thread_id=thread_of(update))
        since = (sub.last_briefing_at if sub else None) or now - FIRST_BRIEFING_WINDOW
        digest = await changes_between(session, since=since, until=now)
        followed = await load_interests(session, sub.interests if sub else None)
        if followed is not None:
            digest = await for_interests(session, digest, followed)
    zone = ZoneInfo((sub.timezone if sub else None) or context.settings.timezone)
    for text in briefing_messages(digest, tz=zone, today=now.astimezone(zone).date()):
        await reply(update, text)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire the subscription commands and the on/off buttons of /settings."""
    app.add_handler(CommandHandler("subscribe", subscribe_cmd))
    app.add_handler(CommandHandler("unsubscribe", unsubscribe_cmd))
    app.add_handler(CommandHandler("settings", settings_cmd))
    app.add_handler(CommandHandler("brief", brief_cmd))
    app.add_handler(CallbackQueryHandler(flag_btn, pattern=r"^set:"))
