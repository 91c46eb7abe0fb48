"""/positions [party or issue] and /positions history <issue>: where each side stands."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from core.context import BotContext
from core.i18n import N_, _
from core.text import clip
from handlers.common import (
    ALL_WORDS,
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
from kinds.position_views import (
    IssueStances,
    PositionView,
    current_positions,
    position_blocks,
    position_history,
    positions_overview,
)
from render.blocks import esc, refs_of
from store import queries
from store.queries import NamedThing
from store.views import Page

PAGE_SIZE = 6

USAGE = N_(
    "Usage: <code>/positions</code> (an overview), <code>/positions all</code>, "
    "<code>/positions PARTY</code>, "
    "<code>/positions ISSUE</code>, <code>/positions PARTY ISSUE</code> or "
    "<code>/positions history ISSUE</code>.\n"
    "Examples: <code>/positions russia</code>, <code>/positions nato</code>, "
    "<code>/positions ukraine nato</code>, <code>/positions history territory</code>"
)
# `/positions history ISSUE`, also as Ukrainian and Russian readers say it.
HISTORY_WORDS = ("history", "changes", "timeline", "історія", "зміни", "история", "изменения")
OVERVIEW_BUTTON_TEXT = 22  # characters of an issue's name on its button
OVERVIEW_BUTTONS_PER_ROW = 3


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


async def _resolve(session: AsyncSession, name: str) -> tuple[list[NamedThing], str]:
    """The party, issue, or party and issue (either order) meant by `name`; else why not."""
    things = await queries.parties_and_issues(session)
    match = queries.match_name(name, things)
    if match.found is not None:
        return [match.found], ""
    words = name.split()
    for cut in range(1, len(words)):
        left = queries.match_name(" ".join(words[:cut]), things).found
        right = queries.match_name(" ".join(words[cut:]), things).found
        pair = [t for t in (left, right) if t is not None]
        if len(pair) == 2 and {t.kind for t in pair} == {"party", "issue"}:
            return sorted(pair, key=lambda t: t.kind != "party"), ""
    return [], _unknown_name(name, match, things)


def _key_of(targets: list[NamedThing]) -> str:
    """Button data for a party, an issue, or both: 'p3', 'i5', 'p3i5' ('-' for none)."""
    return "".join(f"{t.kind[0]}{t.id}" for t in targets) or "-"


async def positions_cmd(update: Update, context: BotContext) -> None:
    """An overview; a party's or an issue's current stances (or both); or an issue's history."""
    args = command_args(update)
    if too_long(args):
        await reply(update, _(TOO_LONG_REPLY))
        return
    words = args.split(maxsplit=1)
    history = bool(words) and words[0].lower() in HISTORY_WORDS
    name = (words[1] if len(words) > 1 else "") if history else args
    if history and not name:
        await reply(update, _("Which issue?") + " " + _(USAGE))
        return
    if not name:
        async with context.session() as session:
            overview = await positions_overview(session)
        await _send_overview(update, overview)
        return
    if not history and name.lower() in ALL_WORDS:
        async with context.session() as session:
            everything = await _current_page(session, key="-", offset=0)
        await send_current(update, context, everything, key="-", offset=0)
        return
    page: Page[PositionView] | None = None
    # One session for the name lookup and the page; the reply is sent after it is closed.
    async with context.session() as session:
        targets, answer = await _resolve(session, name)
        key = _key_of(targets)
        _party_id, issue_id = _key_ids(key)
        if targets and history and issue_id is None:
            answer = _(
                "History is kept per issue; <b>{party}</b> is a party. "
                "Try <code>/positions {key}</code> for its current stances, "
                "or <code>/positions history {key} territory</code>."
            ).format(party=esc(targets[0].name), key=esc(targets[0].key))
        elif targets and history:
            page = await _history_page(session, key=key, offset=0)
        elif targets:
            page = await _current_page(session, key=key, offset=0)
    if page is not None and not page.items:
        page, answer = None, _none_on_file(targets, history=history)
    if page is None:
        await reply(update, answer)
    elif history:
        await send_history(update, context, page, key=key, offset=0)
    else:
        await send_current(update, context, page, key=key, offset=0)


def _none_on_file(targets: Sequence[NamedThing], *, history: bool) -> str:
    """Why a party, an issue or both show nothing, naming them, and where to look instead."""
    party = next((t for t in targets if t.kind == "party"), None)
    issue = next((t for t in targets if t.kind == "issue"), None)
    if party is not None and issue is not None:
        wider = f"/positions history {issue.key}" if history else f"/positions {issue.key}"
        return _(
            "No stance of <b>{party}</b> on <b>{issue}</b> is on file yet. "
            "<code>{wider}</code> shows every party's."
        ).format(party=esc(party.name), issue=esc(issue.name), wider=esc(wider))
    if party is not None:
        return _(
            "No stance of <b>{party}</b> is on file yet. /positions shows where the parties stand."
        ).format(party=esc(party.name))
    name = esc(issue.name) if issue is not None else ""
    return _(
        "No party's stance on <b>{issue}</b> is on file yet. "
        "/positions shows the issues that have some."
    ).format(issue=name)


def overview_text(overview: Sequence[IssueStances]) -> str:
    """One line per issue: each party's current stance in a few words."""
    lines = [_("🧭 <b>Where the parties stand</b> (tap an issue for the full stances)"), ""]
    for item in overview:
        sides = " · ".join(
            f"{esc(clip(party, 24))}: {esc(words)}" for party, words in _merged(item.stances)
        )
        lines.append(f"<b>{esc(clip(item.issue, 40))}</b> — {sides}")
    lines += ["", _("<i>How an issue changed:</i> <code>/positions history ISSUE</code>")]
    return "\n".join(lines)


def _merged(stances: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """A party's several current stances on one issue joined into one entry."""
    merged: dict[str, list[str]] = {}
    for party, words in stances:
        merged.setdefault(party, []).append(words)
    return [(party, " / ".join(all_words)) for party, all_words in merged.items()]


def overview_buttons(overview: Sequence[IssueStances]) -> InlineKeyboardMarkup | None:
    """One button per issue, opening that issue's full current stances."""
    buttons = [
        InlineKeyboardButton(
            clip(item.issue, OVERVIEW_BUTTON_TEXT), callback_data=f"pos:now:i{item.issue_id}:0"
        )
        for item in overview
    ]
    rows = [
        buttons[i : i + OVERVIEW_BUTTONS_PER_ROW]
        for i in range(0, len(buttons), OVERVIEW_BUTTONS_PER_ROW)
    ]
    return InlineKeyboardMarkup(rows) if rows else None


async def _send_overview(update: Update, overview: Sequence[IssueStances]) -> None:
    if not overview:
        await reply(update, _("No positions on file yet."))
        return
    await reply(update, overview_text(overview), overview_buttons(overview))


async def positions_page_btn(update: Update, context: BotContext) -> None:
    """Turn the page of a /positions answer, or open an issue from the overview."""
    fields, offset = page_offset(update)
    if len(fields) != 3 or fields[1] not in ("now", "hist"):
        await stale_button(update, context)
        return
    key = fields[2]
    try:
        async with context.session() as session:
            if fields[1] == "now":
                page = await _current_page(session, key=key, offset=offset)
            else:
                page = await _history_page(session, key=key, offset=offset)
    except ValueError:
        await stale_button(update, context)
        return
    if fields[1] == "now":
        await send_current(update, context, page, key=key, offset=offset)
    else:
        await send_history(update, context, page, key=key, offset=offset)


def _number(text: str) -> int:
    """A bounded id from button data; ValueError when it is not one."""
    number = small_int(text)
    if number is None:
        raise ValueError(text)
    return number


_KEY = re.compile(r"^(?:p(\d+))?(?:i(\d+))?$")


def _key_ids(key: str) -> tuple[int | None, int | None]:
    """'-', 'p<party id>', 'i<issue id>' or 'p<id>i<id>' as (party id, issue id).

    ValueError when malformed.
    """
    if key == "-":
        return None, None
    match = _KEY.match(key)
    if match is None or not any(match.groups()):
        raise ValueError(key)
    party, issue = match.groups()
    return (
        _number(party) if party is not None else None,
        _number(issue) if issue is not None else None,
    )


async def _current_page(session: AsyncSession, *, key: str, offset: int) -> Page[PositionView]:
    party_id, issue_id = _key_ids(key)
    return await current_positions(
        session, limit=PAGE_SIZE, offset=offset, party_id=party_id, issue_id=issue_id
    )


async def _history_page(session: AsyncSession, *, key: str, offset: int) -> Page[PositionView]:
    party_id, issue_id = _key_ids(key)
    if issue_id is None:
        raise ValueError(key)
    return await position_history(
        session, issue_id=issue_id, party_id=party_id, limit=PAGE_SIZE, offset=offset
    )


async def send_current(
    update: Update, context: BotContext, page: Page[PositionView], *, key: str, offset: int
) -> None:
    """Send one page of current stances; key names a party, an issue, both, or '-' (all)."""
    if not page.items:
        await reply(update, _("No positions on file for that yet. /positions lists them all."))
        return
    party_id, issue_id = _key_ids(key)
    first = page.items[0]
    by_party = party_id is not None and issue_id is None
    if party_id is not None and issue_id is not None:
        title = _("Where {party} stands on {issue}").format(
            party=esc(first.party), issue=esc(first.issue)
        )
    elif by_party:
        title = _("Where {party} stands").format(party=esc(first.party))
    elif issue_id is not None:
        title = _("Current positions on {issue}").format(issue=esc(first.issue))
    else:
        title = _("Current positions")
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
    update: Update, context: BotContext, page: Page[PositionView], *, key: str, offset: int
) -> None:
    """Send one page of every stance taken on an issue, by party, oldest first within each."""
    if not page.items:
        await reply(update, _("No positions on file for that issue yet."))
        return
    issue = page.items[0].issue
    await send_page(
        update,
        header=_("🕰 <b>How positions on {issue} changed</b> (by party, oldest first)").format(
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
        callback=f"pos:hist:{key}",
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /positions and its page buttons."""
    app.add_handler(CommandHandler("positions", positions_cmd))
    app.add_handler(CallbackQueryHandler(positions_page_btn, pattern=r"^pos:"))
