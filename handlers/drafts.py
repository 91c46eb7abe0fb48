"""A preview's Save / Edit / Cancel buttons, and the lines an editor sends after Edit."""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler

from core.context import BotContext
from core.i18n import N_, _
from handlers.admin import actor_of, editors_only
from handlers.common import reply, small_int
from handlers.draft_prompts import answer_question, translate_prompt
from handlers.forms import build_draft, merge_values, parse_form
from handlers.open_forms import CROSSED, close_form, keep_form, open_form, payload_of
from handlers.previews import (
    draft_item,
    draft_payload,
    fact_block,
    form_context,
    keep_stored,
    problems_text,
    question_options,
    send_preview,
)
from kinds import editing as fact_editing
from kinds.audit import fact_ref
from kinds.base import FactKind
from kinds.dataset import Dataset
from kinds.registry import spec_for
from kinds.transfer import import_dataset
from store import drafts as store_drafts
from store.drafts import FormAction
from store.models import AuditEntry, DraftStatus
from store.models import Draft as DraftRow
from store.transfer import IssueIn, PartyIn

log = logging.getLogger(__name__)

NO_SOURCE = N_(
    "Not saved: every fact needs a source. Press ✏️ Edit and send a line such as "
    "“source: Reuters https://www.reuters.com/…”."
)


async def _finish(query_message: Any, text: str) -> None:
    if isinstance(query_message, Message):
        await query_message.edit_text(text, parse_mode="HTML", disable_web_page_preview=True)


@editors_only
async def draft_button(update: Update, context: BotContext) -> None:
    """Save, edit or cancel a draft; a second press or a press after Cancel changes nothing."""
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    pick = len(parts) == 4 and parts[1] == "pick" and small_int(parts[3]) is not None
    verbs = ("save", "edit", "cancel", "translate")
    if not (pick or (len(parts) == 3 and parts[1] in verbs)) or small_int(parts[2]) is None:
        await query.answer(_("This button has expired."))
        return
    verb, draft_id = parts[1], small_int(parts[2]) or 0
    async with context.session() as session:
        draft = await store_drafts.get_draft(session, draft_id=draft_id)
    if draft is None or draft.action not in ("create", "edit", "retract"):
        # Unknown, or another kind of draft (a broadcast) behind forged button data.
        await query.answer(_("This preview has expired; send the command again."), show_alert=True)
        return
    kind = fact_editing.kind_of(draft)
    if draft.status == DraftStatus.SAVED.value:
        ref = fact_ref(kind, draft.result_id or draft.fact_id or 0)
        await query.answer(
            _("Already saved as {ref}; nothing more was written.").format(ref=ref), show_alert=True
        )
        return
    if draft.status == DraftStatus.CANCELLED.value:
        await query.answer(_("This draft was cancelled; nothing was stored."), show_alert=True)
        return
    payload = json.loads(draft.payload)
    if verb == "cancel":
        async with context.session() as session:
            done = await store_drafts.claim_draft(
                session, draft_id=draft_id, status=DraftStatus.CANCELLED
            )
            await session.commit()
        await query.answer(_("Cancelled.") if done else _("Already handled."))
        if done:
            await _finish(query.message, _("✖️ Cancelled — nothing was stored."))
        return
    if verb == "pick":
        await answer_question(update, context, draft, payload, small_int(parts[3]) or 0)
        return
    if verb in ("edit", "translate") and draft.action == "retract":
        await query.answer(
            _("A retraction has nothing to edit: Cancel it, then send /retract again.")
        )
        return
    if verb in ("edit", "translate"):
        await open_form(
            update, context, action=FormAction.CORRECT, kind=kind, payload={"draft_id": draft_id}
        )
        await query.answer()
        if verb == "translate":
            await reply_in_chat(update, translate_prompt(kind, payload))
            return
        await reply_in_chat(
            update,
            _(
                "✏️ Send the fields to change as <code>field: value</code> lines, e.g. "
                "<code>date: 3 June 2025</code>. /cancel keeps the preview as it is."
            ),
        )
        return
    await _save(update, context, draft_id=draft_id, kind=kind, action=draft.action, payload=payload)


async def reply_in_chat(update: Update, text: str) -> None:
    """Send a new message to the chat of a pressed button."""
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(text, parse_mode="HTML", disable_web_page_preview=True)


async def _save(
    update: Update,
    context: BotContext,
    *,
    draft_id: int,
    kind: FactKind,
    action: str,
    payload: dict[str, Any],
) -> None:
    query = update.callback_query
    assert query is not None
    if action != "retract" and not (payload.get("item") or {}).get("sources"):
        await query.answer(_(NO_SOURCE), show_alert=True)
        return
    if question_options(payload):
        options = _(" or ").join(f"“{o}”" for o in question_options(payload))
        await query.answer(
            _("Answer the question first: tap {options}.").format(options=options),
            show_alert=True,
        )
        return
    actor = actor_of(update)
    draft_fact_id: int | None = None
    async with context.session() as session:
        if not await store_drafts.claim_draft(session, draft_id=draft_id, status=DraftStatus.SAVED):
            await session.rollback()
            await query.answer(_("Already handled; nothing more was written."), show_alert=True)
            return
        draft = await store_drafts.get_draft(session, draft_id=draft_id)
        assert draft is not None
        draft_fact_id = draft.fact_id
        if draft_fact_id is not None and "seen" in payload:
            latest = await fact_editing.last_change(
                session, kind=kind, fact_id=draft_fact_id, lock=True
            )
            if latest is not None and latest.id != payload["seen"]:
                refusal = changed_since(kind, draft_fact_id, latest, context, action=action)
                await session.rollback()  # the draft stays pending
                await query.answer(refusal, show_alert=True)
                return
        try:
            if action == "create":
                dataset = Dataset(
                    parties=[PartyIn.model_validate(p) for p in payload["new_parties"]],
                    issues=[IssueIn.model_validate(i) for i in payload["new_issues"]],
                    **{spec_for(kind).section: [draft_item(kind, payload)]},
                )
                report = await import_dataset(
                    session, dataset, actor=actor, action="create", commit=False
                )
                if report.errors or not report.facts:
                    # The store changed since the preview (e.g. a key now taken): say so.
                    await query.answer(_("Could not save:") + " " + "; ".join(report.errors)[:150])
                    return
                fact_id = report.facts[0][1]
            elif action == "edit":
                assert draft_fact_id is not None
                await fact_editing.apply_edit(
                    session,
                    kind=kind,
                    fact_id=draft_fact_id,
                    item=draft_item(kind, payload),
                    new_parties=[PartyIn.model_validate(p) for p in payload["new_parties"]],
                    new_issues=[IssueIn.model_validate(i) for i in payload["new_issues"]],
                    actor=actor,
                )
                fact_id = draft_fact_id
            else:
                assert draft_fact_id is not None
                await fact_editing.retract_fact(
                    session,
                    kind=kind,
                    fact_id=draft_fact_id,
                    reason=payload["reason"],
                    actor=actor,
                )
                fact_id = draft_fact_id
        except LookupError:
            await session.rollback()
            await query.answer(
                _("That fact no longer exists or was retracted; nothing was changed."),
                show_alert=True,
            )
            return
        await store_drafts.set_draft_result(session, draft_id=draft_id, result_id=fact_id)
        await session.commit()
    ref = fact_ref(kind, fact_id)
    done = {"retract": _("Retracted {ref}."), "edit": _("Corrected {ref}.")}.get(
        action, _("Saved as {ref}.")
    )
    await query.answer(done.format(ref=ref))
    if action == "retract":
        await _finish(
            query.message,
            _("🗑 <b>{ref} retracted.</b> It no longer appears anywhere.").format(ref=ref),
        )
        return
    if action == "create":
        head = _("✅ <b>Saved as {ref}</b> — it now shows in {where}.")
    else:
        head = _("✅ <b>Corrected {ref}</b> — it now shows in {where}.")
    body = fact_block(kind, draft_item(kind, payload), payload.get("names") or {})
    await _finish(
        query.message,
        head.format(ref=ref, where=spec_for(kind).where_shown) + f"\n\n{body}",
    )


CHANGE_VERBS = {"edit": N_("corrected"), "retract": N_("retracted")}
CHANGED = N_("changed")


def changed_since(
    kind: FactKind, fact_id: int, entry: AuditEntry, context: BotContext, *, action: str
) -> str:
    """Why Save refused: who changed the fact after the preview was made, and when."""
    verb = _(CHANGE_VERBS.get(entry.action, CHANGED))
    who = (entry.actor_name or _("another editor"))[:60]
    at = entry.at.astimezone(context.settings.tz).strftime("%H:%M")
    ref = fact_ref(kind, fact_id)
    return _(
        "{ref} was {verb} by {who} at {at} — reload the preview: send /{action} {ref} again."
    ).format(ref=ref, verb=verb, who=who, at=at, action=action)


async def draft_correction(update: Update, context: BotContext, form: DraftRow) -> None:
    """After Edit was pressed: merge the editor's `field: value` lines into the draft."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft_id = int(payload_of(form)["draft_id"])
    async with context.session() as session:
        draft = await store_drafts.get_draft(session, draft_id=draft_id)
    if draft is None or draft.status != DraftStatus.PENDING.value:
        await close_form(context, form)
        await reply(update, _("That draft is no longer open; send the command again."))
        return
    kind = fact_editing.kind_of(draft)
    payload = json.loads(draft.payload)
    form_lines = parse_form(kind, message.text, has_command=False)
    values = merge_values(payload["values"], form_lines.values)
    built = build_draft(kind, values, await form_context(context))
    if form_lines.errors or isinstance(built, list):
        problems = form_lines.errors + (built if isinstance(built, list) else [])
        kept = await keep_form(context, form, payload_of(form))
        again = _("Send the corrected lines again, or /cancel.")
        await reply(update, problems_text(problems, again) if kept else _(CROSSED))
        return
    extra: dict[str, Any] = {}
    if "seen" in payload:
        extra["seen"] = payload["seen"]
    if draft.action == "edit":
        extra |= {
            "before": payload["before"],
            "changes": changes_between(payload["before"], values),
            "kept": payload.get("kept") or {},
        }
        keep_stored(built, values, extra)
    new_payload = draft_payload(built, values, **extra)
    if not await close_form(context, form):
        return  # another update finished or cancelled this correction meanwhile
    async with context.session() as session:
        await store_drafts.claim_draft(session, draft_id=draft_id, status=DraftStatus.CANCELLED)
        await session.commit()
    await send_preview(
        update, context, action=draft.action, kind=kind, payload=new_payload, fact_id=draft.fact_id
    )


def changes_between(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str, str]]:
    """The fields whose typed values differ: (name, old, new)."""
    names = list(dict.fromkeys([*before, *after]))
    return [
        (n, before.get(n, ""), after.get(n, ""))
        for n in names
        if before.get(n, "").strip() != after.get(n, "").strip()
    ]


async def cancel_correction(update: Update, context: BotContext, form: DraftRow) -> None:
    """/cancel while correcting a draft: keep the preview as it was."""
    await close_form(context, form)
    await reply(update, _("OK — the preview stays as it was; use its buttons to save or cancel."))


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire the draft buttons (corrections after Edit arrive through handlers.curate's forms)."""
    app.add_handler(CallbackQueryHandler(draft_button, pattern=r"^draft:"))
