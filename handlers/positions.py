"""/positions [party or issue] and /positions history <issue>: where each side stands."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.i18n import N_, _
from handlers.common import (
    TOO_LONG_REPLY,
    command_args,
    page_offset,
    reply,
    send_page,
    small_int,
    stale_button,
    too_long,
)
from kinds.base import FactKind
from kinds.position import PositionView, current_positions, position_blocks, position_history
from render.blocks import esc, refs_of
from store import queries
from store.queries import NamedThing
from store.views import Page

PAGE_SIZE = 6

USAGE = N_(
    "Usage: <code>/positions</code> (everything), <code>/positions PARTY</code>, "
    "<code>/positions ISSUE</code> or <code>/positions history ISSUE</code>.\n"
    "Examples: <code>/positions russia</code>, <code>/positions nato</code>, "
    "<code>/positions history territory</code>"
)


def _unknown_name(name: str, match: queries.NameMatch, things: Sequence[NamedThing]) -> str:
    parties = ", ".join(esc(t.name) for t in things if t.kind == "party")
    issues = ", ".join(esc(t.name) for t in things if t.kind == "issue")
    hint = ""
    if match.suggestions:
        names = _(" or ").join(f"<b>{esc(t.name)}</b>" for t in match.suggestions)
        hint = _("Did you mean {names}?").format(names=names) + "\n\n"
    return (
        _("I don't know “{name}” as a party or an issue.").format(name=esc(name[:60]))
        + "\n"
        + hint
        + _("<b>Parties:</b> {parties}\n<b>Issues:</b> {issues}").format(
            parties=parties or _("none yet"), issues=issues or _("none yet")
        )
    )


async def positions_cmd(update: Update, context: BotContext) -> None:
    """Current stances, all or filtered by a party or an issue; or one issue's history."""
    args = command_args(update)
    if too_long(args):
        await reply(update, _(TOO_LONG_REPLY))
        return
    words = args.split(maxsplit=1)
    history = bool(words) and words[0].lower() in ("history", "changes", "timeline")
    name = (words[1] if len(words) > 1 else "") if history else args
    if history and not name:
        await reply(update, _("Which issue?") + " " + _(USAGE))
        return
    target: NamedThing | None = None
    key = "-"
    page: Page[PositionView] | None = None
    answer = ""
    # One session for the name lookup and the page; the reply is sent after it is closed.
    async with context.session() as session:
        if name:
            match = await queries.find_party_or_issue(session, name=name)
            target = match.found
            if target is None:
                answer = _unknown_name(name, match, await queries.parties_and_issues(session))
        if target is not None and history and target.kind != "issue":
            answer = _(
                "History is kept per issue; <b>{party}</b> is a party. "
                "Try <code>/positions {key}</code> for its current stances, "
                "or <code>/positions history territory</code>."
            ).format(party=esc(target.name), key=esc(target.key))
        elif target is not None and history:
            page = await _history_page(session, issue_id=target.id, offset=0)
        elif not answer:
            key = "-" if target is None else f"{target.kind[0]}{target.id}"
            page = await _current_page(session, key=key, offset=0)
    if page is None:
        await reply(update, answer)
    elif history and target is not None:
        await send_history(update, context, page, issue_id=target.id, offset=0)
    else:
        await send_current(update, context, page, key=key, offset=0)


async def positions_page_btn(update: Update, context: BotContext) -> None:
    """Turn the page of a /positions answer."""
    fields, offset = page_offset(update)
    if len(fields) != 3:
        await stale_button(update, context)
        return
    try:
        if fields[1] == "now":
            async with context.session() as session:
                page = await _current_page(session, key=fields[2], offset=offset)
            await send_current(update, context, page, key=fields[2], offset=offset)
        else:
            issue_id = _number(fields[2])
            async with context.session() as session:
                page = await _history_page(session, issue_id=issue_id, offset=offset)
            await send_history(update, context, page, issue_id=issue_id, offset=offset)
    except ValueError:
        await stale_button(update, context)


def _number(text: str) -> int:
    """A bounded id from button data; ValueError when it is not one."""
    number = small_int(text)
    if number is None:
        raise ValueError(text)
    return number


def _key_ids(key: str) -> tuple[int | None, int | None]:
    """'-', 'p<party id>' or 'i<issue id>' as (party id, issue id); ValueError when malformed."""
    party_id = _number(key[1:]) if key.startswith("p") else None
    issue_id = _number(key[1:]) if key.startswith("i") else None
    if key != "-" and party_id is None and issue_id is None:
        raise ValueError(key)
    return party_id, issue_id


async def _current_page(session: AsyncSession, *, key: str, offset: int) -> Page[PositionView]:
    party_id, issue_id = _key_ids(key)
    return await current_positions(
        session, limit=PAGE_SIZE, offset=offset, party_id=party_id, issue_id=issue_id
    )


async def _history_page(session: AsyncSession, *, issue_id: int, offset: int) -> Page[PositionView]:
    return await position_history(session, issue_id=issue_id, limit=PAGE_SIZE, offset=offset)


async def send_current(
    update: Update, context: BotContext, page: Page[PositionView], *, key: str, offset: int
) -> None:
    """Send one page of current stances; key is '-', 'p<party id>' or 'i<issue id>'."""
    if not page.items:
        await reply(update, _("No positions on file for that yet. /positions lists them all."))
        return
    party_id, issue_id = _key_ids(key)
    by_party = party_id is not None
    subject = page.items[0].party if by_party else (page.items[0].issue if issue_id else "")
    title = _("Where {party} stands") if by_party else _("Current positions")
    if issue_id:
        title = _("Current positions on {issue}")
    title = title.format(party=esc(subject), issue=esc(subject))
    await send_page(
        update,
        header=f"🧭 <b>{title}</b>",
        blocks=position_blocks(page.items, by_party=by_party),
        refs=refs_of(FactKind.POSITION, page.items),
        settings=context.settings,
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=page.has_more,
        callback=f"pos:now:{key}",
        labels=(N_("◀ Back"), N_("More ▶")),
        footer="\n\n" + _("<i>History of an issue:</i> <code>/positions history ISSUE</code>"),
    )


async def send_history(
    update: Update, context: BotContext, page: Page[PositionView], *, issue_id: int, offset: int
) -> None:
    """Send one page of every stance taken on an issue, newest first."""
    if not page.items:
        await reply(update, _("No positions on file for that issue yet."))
        return
    issue = page.items[0].issue
    await send_page(
        update,
        header=_("🕰 <b>How positions on {issue} changed</b> (newest first)").format(
            issue=esc(issue)
        )
        + "\n"
        + _("🟢 current · ⚪️ superseded"),
        blocks=position_blocks(page.items, history=True, by_party=True),
        refs=refs_of(FactKind.POSITION, page.items),
        settings=context.settings,
        offset=offset,
        page_size=PAGE_SIZE,
        has_more=page.has_more,
        callback=f"pos:hist:{issue_id}",
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /positions and its page buttons."""
    app.add_handler(CommandHandler("positions", positions_cmd))
    app.add_handler(CallbackQueryHandler(positions_page_btn, pattern=r"^pos:"))
