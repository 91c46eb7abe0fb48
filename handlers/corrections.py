"""/edit, /retract and /history: editors correct facts; every change is audited, none deleted."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from core.context import BotContext
from core.dates import format_date
from core.i18n import N_, _
from handlers.admin import editors_only
from handlers.common import reply
from handlers.drafts import changes_between
from handlers.forms import build_draft, merge_values, parse_form
from handlers.previews import draft_payload, form_context, keep_stored, problems_text, send_preview
from kinds.audit import fact_ref, parse_fact_ref, snapshot
from kinds.base import FactKind
from kinds.day_order import day_values
from kinds.extras import form_extras
from kinds.queries import facts_by_ref
from kinds.registry import SPECS, spec_for
from render.blocks import esc, search_block
from store.audit import fact_history

_EDIT_USAGE = N_(
    "Usage: <code>/edit U12</code> and then <code>field: value</code> lines, e.g.\n"
    "<code>/edit U12\ndate: 3 June 2025\nsource: Reuters https://…</code>\n"
    "Ids: {ids} (shown to editors in every list)."
)
RETRACT_USAGE = N_(
    "Usage: <code>/retract U12 reason</code>, e.g. <code>/retract U12 wrong date</code>"
)
HISTORY_USAGE = N_("Usage: <code>/history U12</code>")
PAST_TENSE = {
    "create": N_("created"),
    "edit": N_("edited"),
    "retract": N_("retracted"),
    "import": N_("imported"),
}


def edit_usage() -> str:
    """How to write /edit, with every kind's id letter, in the reader's language."""
    return _(_EDIT_USAGE).format(ids=", ".join(f"{s.letter} = {_(s.noun)}" for s in SPECS))


def _sources_value(snap: dict[str, Any]) -> str:
    return "; ".join(
        " ".join(filter(None, [s.get("name"), s.get("url")])) for s in snap.get("sources", [])
    )


def values_from_snapshot(kind: FactKind, snap: dict[str, Any]) -> dict[str, str]:
    """A stored fact as the `field: value` lines an editor would type for it."""
    spec = spec_for(kind)
    values = {"source": _sources_value(snap), **spec.form_values(snap), **day_values(snap)}
    values |= form_extras(snap, spec.input.date_field)
    return {k: v for k, v in values.items() if v}


def _not_an_id(text: str) -> str:
    return _("“{given}” is not a fact id.").format(given=esc(text[:20]))


async def _live_snapshot(
    update: Update, context: BotContext, ref_text: str, usage: str
) -> tuple[FactKind, int, dict[str, Any]] | None:
    ref = parse_fact_ref(ref_text)
    if ref is None:
        await reply(update, _not_an_id(ref_text) + f"\n{usage}")
        return None
    kind, fact_id = ref
    async with context.session() as session:
        snap = await snapshot(session, kind=kind, fact_id=fact_id)
    if snap is None:
        await reply(update, _("There is no {ref}.").format(ref=fact_ref(kind, fact_id)))
        return None
    if snap.get("retracted_at"):
        await reply(
            update,
            _("{ref} is retracted; it cannot be changed.").format(ref=fact_ref(kind, fact_id)),
        )
        return None
    return kind, fact_id, snap


@editors_only
async def edit_cmd(update: Update, context: BotContext) -> None:
    """Correct a fact: preview the changed fields, then Save."""
    text = (update.effective_message.text or "") if update.effective_message else ""
    first, _newline, rest = text.partition("\n")
    words = first.split()
    if len(words) < 2:
        await reply(update, edit_usage())
        return
    found = await _live_snapshot(update, context, words[1], edit_usage())
    if found is None:
        return
    kind, fact_id, snap = found
    before = values_from_snapshot(kind, snap)
    inline = " ".join(words[2:])
    form = parse_form(kind, f"{inline}\n{rest}" if inline else rest, has_command=False)
    if not form.values and not form.errors:
        current = "\n".join(
            [
                *(
                    f"{s.name}: {before[s.name]}"
                    for s in spec_for(kind).all_fields
                    if before.get(s.name)
                ),
                *(line.replace(":", " also:", 1) for line in before.get("also", "").split("\n")),
            ]
        ).strip()
        await reply(
            update,
            _(
                "What should change in {ref}? Send <code>/edit {ref}</code> with the new lines. "
                "Now it reads:"
            ).format(ref=fact_ref(kind, fact_id))
            + f"\n<code>{esc(current)}</code>",
        )
        return
    fixed = sorted(
        name
        for name in spec_for(kind).fixed_fields & form.values.keys()
        if form.values[name].strip().casefold() != before.get(name, "").strip().casefold()
    )
    if fixed:
        await reply(
            update,
            _(
                "{fields} of {ref} cannot be corrected: that would be another fact. "
                "Retract it and add the new one with /{command}."
            ).format(
                fields=esc(", ".join(fixed)),
                ref=fact_ref(kind, fact_id),
                command=spec_for(kind).add_command,
            ),
        )
        return
    values = merge_values(before, form.values)
    ctx = await form_context(context)
    built = build_draft(kind, values, ctx)
    if form.errors or isinstance(built, list):
        problems = form.errors + (built if isinstance(built, list) else [])
        await reply(update, problems_text(problems, edit_usage()))
        return
    extra: dict[str, Any] = {
        "before": before,
        "changes": changes_between(before, values),
        "kept": {"sources": snap.get("sources", []), "end_date": snap.get("end_date")},
    }
    keep_stored(built, values, extra)
    # "date: 2 June 2025" on a fact dated 2025-06-02 reads differently but changes nothing.
    stored = build_draft(kind, before, ctx)
    if not isinstance(stored, list):
        keep_stored(stored, before, extra)
    if not extra["changes"] or (not isinstance(stored, list) and stored.item == built.item):
        await reply(
            update,
            _("That is what {ref} already says; nothing changes.").format(
                ref=fact_ref(kind, fact_id)
            ),
        )
        return
    payload = draft_payload(built, values, **extra)
    await send_preview(update, context, action="edit", kind=kind, payload=payload, fact_id=fact_id)


@editors_only
async def retract_cmd(update: Update, context: BotContext) -> None:
    """Retract a fact with a reason: preview, then confirm."""
    text = (update.effective_message.text or "") if update.effective_message else ""
    words = text.split(maxsplit=2)
    if len(words) < 2:
        await reply(update, _(RETRACT_USAGE))
        return
    reason = words[2].strip() if len(words) > 2 else ""
    found = await _live_snapshot(update, context, words[1], _(RETRACT_USAGE))
    if found is None:
        return
    kind, fact_id, _snap = found
    if len(reason) < 3:
        await reply(
            update,
            _(
                "Please give a reason, so readers of the history know why, e.g. "
                "<code>/retract {ref} wrong date</code>."
            ).format(ref=fact_ref(kind, fact_id)),
        )
        return
    if len(reason) > 500:
        await reply(update, _("Keep the reason under 500 characters."))
        return
    async with context.session() as session:
        facts = await facts_by_ref(session, refs=[(kind, fact_id)])
    payload = {"reason": reason, "block": search_block(kind, facts[(kind, fact_id)])}
    await send_preview(
        update, context, action="retract", kind=kind, payload=payload, fact_id=fact_id
    )


def _when(at: dt.datetime) -> str:
    return f"{format_date(at.date())} {at:%H:%M} UTC"


def _diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    skip = {"updated_at"}
    names = [k for k in dict.fromkeys([*before, *after]) if k not in skip]
    return [
        f"{k}: {json.dumps(before.get(k), ensure_ascii=False)} → "
        f"{json.dumps(after.get(k), ensure_ascii=False)}"
        for k in names
        if before.get(k) != after.get(k)
    ]


@editors_only
async def history_cmd(update: Update, context: BotContext) -> None:
    """Show who created, edited or retracted a fact, when, and what changed."""
    text = (update.effective_message.text or "") if update.effective_message else ""
    words = text.split()
    if len(words) != 2:
        await reply(update, _(HISTORY_USAGE))
        return
    ref = parse_fact_ref(words[1])
    if ref is None:
        await reply(update, _not_an_id(words[1]) + "\n" + _(HISTORY_USAGE))
        return
    kind, fact_id = ref
    async with context.session() as session:
        snap = await snapshot(session, kind=kind, fact_id=fact_id)
        entries = await fact_history(session, kind=kind, fact_id=fact_id)
    if snap is None:
        await reply(update, _("There is no {ref}.").format(ref=fact_ref(kind, fact_id)))
        return
    state = _("retracted") if snap.get("retracted_at") else _("live")
    lines = [
        _("🗂 <b>History of {ref}</b> ({state})").format(ref=fact_ref(kind, fact_id), state=state)
    ]
    for entry in entries[-20:]:
        who = esc(entry.actor_name or _("system"))
        verb = _(PAST_TENSE[entry.action]) if entry.action in PAST_TENSE else entry.action
        head = _("• <b>{when}</b> — {verb} by {who}").format(
            when=_when(entry.at), verb=esc(verb), who=who
        )
        if entry.action == "retract" and entry.note:
            head += f": {esc(entry.note)}"
        lines.append(head)
        if entry.action == "edit" and entry.before and entry.after:
            for change in _diff(json.loads(entry.before), json.loads(entry.after))[:8]:
                lines.append("   " + esc(change[:300]))
    if not entries:
        lines.append(_("No recorded changes."))
    text_out = "\n".join(lines)
    if len(text_out) > 3900:
        text_out = text_out[:3900].rsplit("\n", 1)[0] + "\n…"
    await reply(update, text_out)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire /edit, /retract and /history."""
    app.add_handler(CommandHandler("edit", edit_cmd))
    app.add_handler(CommandHandler("retract", retract_cmd))
    app.add_handler(CommandHandler("history", history_cmd))
