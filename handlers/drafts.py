"""Previews of editors' changes and their Save / Edit / Cancel buttons (drafts live in the DB)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackQueryHandler

from core.context import BotContext
from core.i18n import N_, _, ngettext
from core.text import MESSAGE_LIMIT
from handlers.admin import actor_of, editors_only
from handlers.common import reply, small_int
from handlers.forms import Draft, FormContext, build_draft, merge_values, parse_form
from handlers.open_forms import CROSSED, close_form, keep_form, open_form, payload_of
from kinds import editing as fact_editing
from kinds.audit import fact_ref
from kinds.base import FactKind
from kinds.dataset import Dataset
from kinds.day_order import day_preview
from kinds.registry import spec_for
from kinds.round import round_labels
from kinds.transfer import import_dataset
from kinds.translations import (
    TRANSLATE_HELP,
    TRANSLATION_KEYS,
    preview_lines,
    translation_field,
    translation_template,
)
from render.blocks import esc, visible_length
from store import drafts as store_drafts
from store import notices, queries
from store.drafts import FormAction
from store.models import AuditEntry, DraftStatus
from store.models import Draft as DraftRow
from store.transfer import IssueIn, PartyIn

log = logging.getLogger(__name__)

PREVIEW_BUDGET = 3500
NO_SOURCE = N_(
    "Not saved: every fact needs a source. Press ✏️ Edit and send a line such as "
    "“source: Reuters https://www.reuters.com/…”."
)


async def form_context(context: BotContext) -> FormContext:
    """Known parties and issues plus date settings, for validating a form."""
    async with context.session() as session:
        things = await queries.parties_and_issues(session)
        rounds = await round_labels(session)
    settings = context.settings
    return FormContext(
        things=things, tz=settings.tz, languages=settings.date_languages, rounds=rounds
    )


def fact_block(kind: FactKind, item: Any, names: dict[str, str]) -> str:
    """How subscribers will see a not-yet-stored fact."""
    return spec_for(kind).preview_block(item, names)


def draft_payload(draft: Draft, values: dict[str, str], **extra: Any) -> dict[str, Any]:
    """What a draft row keeps: typed values, the validated fact, names it creates or uses."""
    return {
        "values": values,
        "item": draft.item.model_dump(mode="json"),
        "new_parties": [p.model_dump(mode="json") for p in draft.new_parties],
        "new_issues": [i.model_dump(mode="json") for i in draft.new_issues],
        "names": draft.names,
        "notes": draft.notes,
        **extra,
    }


def keep_stored(draft: Draft, values: dict[str, str], extra: dict[str, Any]) -> None:
    """For a correction: keep as stored what the `field: value` lines cannot say.

    The source line shows only names and links, so while it reads as before the fact keeps its
    sources with their publication dates; the forms have no end date, so a multi-day round or
    exchange keeps its last day (unless the corrected first day falls after it).
    """
    kept = extra.get("kept") or {}
    before = extra.get("before") or {}
    item: Any = draft.item
    changes: dict[str, Any] = {}
    same_line = values.get("source", "").strip() == before.get("source", "").strip()
    if kept.get("sources") and same_line:
        changes["sources"] = kept["sources"]
    end = kept.get("end_date")
    if end and getattr(item, "end_date", "") is None and dt.date.fromisoformat(end) >= item.date:
        changes["end_date"] = end
    if changes:
        draft.item = type(item).model_validate({**item.model_dump(mode="json"), **changes})


def _item(kind: FactKind, payload: dict[str, Any]) -> Any:
    return spec_for(kind).input.model_validate(payload["item"])


def preview_text(action: str, kind: FactKind, payload: dict[str, Any], fact_id: int | None) -> str:
    """The preview of a draft: exactly what will be stored, and what to watch out for."""
    noun = _(spec_for(kind).noun)
    ref = fact_ref(kind, fact_id) if fact_id else ""
    if action == "retract":
        head = _("🗑 <b>Preview: retract {ref}</b> — nothing changes until you confirm").format(
            ref=ref
        )
        tail = "\n\n" + _(
            "<b>Reason:</b> {reason}\n"
            "It will disappear from every answer and briefing; the record is kept."
        ).format(reason=esc(payload["reason"]))
        return f"{head}\n\n{payload['block']}{tail}{_notify_line(payload)}"
    item = _item(kind, payload)
    lines = []
    if action == "edit":
        lines.append(_("✏️ <b>Preview: correction of {ref}</b> — not saved yet").format(ref=ref))
        changes = payload.get("changes") or []
        if changes:
            lines.append(_("<b>Changes:</b>"))
            lines += [
                f"• {esc(name)}: {esc(old or '—')} → {esc(new or '—')}"
                for name, old, new in changes
            ]
    else:
        lines.append(_("📝 <b>Preview: new {kind}</b> — not saved yet").format(kind=noun))
    if action == "edit" and payload.get("notify"):
        lines.append(_notify_line(payload).strip())
    lines += [esc(note) for note in payload.get("notes") or []]
    lines += spec_for(kind).preview_notes(item) + day_preview(item) + preview_lines(item)
    question = payload.get("question")
    if question:
        lines.append(question["text"])
    text = "\n".join(lines) + "\n\n" + fact_block(kind, item, payload.get("names") or {})
    if visible_length(text) > PREVIEW_BUDGET:
        text = text[:PREVIEW_BUDGET].rsplit("\n", 1)[0] + "\n…"
    return text


def _notify_line(payload: dict[str, Any]) -> str:
    """'Will notify 12 chats that received it' (nothing when no chat got the fact)."""
    n = int(payload.get("notify") or 0)
    if not n:
        return ""
    text = ngettext(
        "📨 Will notify {n} chat that received it.", "📨 Will notify {n} chats that received it.", n
    )
    return "\n" + text.format(n=f"{n:,}")


def draft_buttons(draft_id: int, action: str, options: Sequence[str] = ()) -> InlineKeyboardMarkup:
    """Save / Edit / Cancel (or Retract / Cancel) for one draft, under the answers it asks for."""
    if action == "retract":
        row = [
            InlineKeyboardButton(_("🗑 Retract"), callback_data=f"draft:save:{draft_id}"),
            InlineKeyboardButton(_("✖️ Cancel"), callback_data=f"draft:cancel:{draft_id}"),
        ]
    else:
        row = [
            InlineKeyboardButton(_("✅ Save"), callback_data=f"draft:save:{draft_id}"),
            InlineKeyboardButton(_("✏️ Edit"), callback_data=f"draft:edit:{draft_id}"),
            InlineKeyboardButton(_("✖️ Cancel"), callback_data=f"draft:cancel:{draft_id}"),
        ]
    answers = [
        InlineKeyboardButton(label, callback_data=f"draft:pick:{draft_id}:{index}")
        for index, label in enumerate(options)
    ]
    rows = [answers, row] if answers else [row]
    if action != "retract":
        translate = _("🌐 Translate")
        rows.append([InlineKeyboardButton(translate, callback_data=f"draft:translate:{draft_id}")])
    return InlineKeyboardMarkup(rows)


def question_options(payload: dict[str, Any]) -> list[str]:
    """The answer buttons of a draft's open question (none when it asks nothing)."""
    question = payload.get("question") or {}
    return [label for label, _changes in question.get("options", [])]


async def send_preview(
    update: Update,
    context: BotContext,
    *,
    action: str,
    kind: FactKind,
    payload: dict[str, Any],
    fact_id: int | None = None,
) -> None:
    """Store the draft and show its preview with buttons; nothing is written to the facts."""
    if action == "create":
        item = _item(kind, payload)
        async with context.session() as session:
            dupes = await fact_editing.find_duplicates(session, kind=kind, item=item)
            question = await spec_for(kind).preview_question(session, item)
        if dupes:
            refs = ", ".join(fact_ref(kind, d) for d in dupes[:5])
            duplicate = _("⚠️ Likely a duplicate of {refs}.").format(refs=refs)
            payload["notes"] = [*payload.get("notes", []), duplicate]
        payload["question"] = (
            {"text": question.text, "options": [list(o) for o in question.options]}
            if question is not None
            else None
        )
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    async with context.session() as session:
        if fact_id is not None and action in ("edit", "retract"):
            # The chats that got this fact in a briefing: each is told of the change once.
            payload["notify"] = await notices.recipients(session, kind=kind.value, fact_id=fact_id)
            if action == "edit" and only_translations(kind, payload.get("changes") or []):
                payload["notify"] = 0  # a translation is no correction: nobody is told
        if fact_id is not None and "seen" not in payload:
            # What the fact looked like when previewed: Save refuses if it changed since.
            seen = await fact_editing.last_change(session, kind=kind, fact_id=fact_id)
            payload["seen"] = seen.id if seen is not None else None
        draft = await store_drafts.create_draft(
            session,
            actor_id=user.id,
            chat_id=chat.id,
            action=action,
            kind=kind,
            payload=payload,
            fact_id=fact_id,
        )
    assert draft.id is not None
    message = update.effective_message
    assert message is not None
    await message.reply_text(
        preview_text(action, kind, payload, fact_id),
        parse_mode="HTML",
        reply_markup=draft_buttons(draft.id, action, question_options(payload)),
        disable_web_page_preview=True,
        do_quote=False,
    )


def problems_text(problems: list[str], usage: str) -> str:
    """A short list of what is wrong with a form, then how to write it."""
    listed = "\n".join(f"• {esc(p)}" for p in problems[:10])
    return _("Nothing was stored. Please fix:") + f"\n{listed}\n\n{usage}"


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
        await _answer_question(update, context, draft, payload, small_int(parts[3]) or 0)
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
            await reply_in_chat(update, _translate_prompt(kind, payload))
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


def only_translations(kind: FactKind, changes: list[Any]) -> bool:
    """True when a correction's typed changes are all translations (or the text's language)."""
    spec = spec_for(kind)
    return bool(changes) and all(
        name in TRANSLATION_KEYS or translation_field(spec, name) is not None
        for name, *_r in changes
    )


def _translate_prompt(kind: FactKind, payload: dict[str, Any]) -> str:
    """How to add translations to a draft, with its text fields as lines to translate."""
    template = translation_template(spec_for(kind), _item(kind, payload))
    lines = [
        "🌐 " + esc(_(TRANSLATE_HELP)),
        _("Send the lines translated (any of them); /cancel keeps the preview as it is."),
    ]
    if template:
        # Long texts are cut, line by line, so that the message stays under Telegram's limit
        # (escaping may add to a line); the editor sends the whole translation anyway.
        rows = template.split("\n")
        room = (MESSAGE_LIMIT - 600) // (2 * len(rows))
        shown = "\n".join(row if len(row) <= room else row[: room - 1] + "…" for row in rows)
        lines.append(f"<code>{esc(shown)}</code>")
    return "\n\n".join(lines)


async def _answer_question(
    update: Update, context: BotContext, draft: DraftRow, payload: dict[str, Any], index: int
) -> None:
    """An answer button of a preview's question: the same preview with the answer in it."""
    query = update.callback_query
    assert query is not None and draft.id is not None
    options = (payload.get("question") or {}).get("options") or []
    if index >= len(options):
        await query.answer(_("This button has expired."))
        return
    label, changes = options[index]
    kind = fact_editing.kind_of(draft)
    payload = {**payload, "item": {**payload["item"], **changes}, "question": None}
    async with context.session() as session:
        if not await store_drafts.claim_draft(
            session, draft_id=draft.id, status=DraftStatus.CANCELLED
        ):
            await session.rollback()
            await query.answer(_("Already handled."))
            return
        answered = await store_drafts.create_draft(
            session,
            actor_id=draft.actor_id,
            chat_id=draft.chat_id,
            action=draft.action,
            kind=kind,
            payload=payload,
            fact_id=draft.fact_id,
        )
    assert answered.id is not None
    await query.answer(label)
    if isinstance(query.message, Message):
        await query.message.edit_text(
            preview_text(draft.action, kind, payload, draft.fact_id),
            parse_mode="HTML",
            reply_markup=draft_buttons(answered.id, draft.action),
            disable_web_page_preview=True,
        )


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
                    **{spec_for(kind).section: [_item(kind, payload)]},
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
                    item=_item(kind, payload),
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
    done = _("Retracted {ref}.") if action == "retract" else _("Saved as {ref}.")
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
    body = fact_block(kind, _item(kind, payload), payload.get("names") or {})
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
