"""Editors' previews of a fact not stored yet: what a draft keeps, how it reads, its buttons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from core.context import BotContext
from core.i18n import _, ngettext
from core.text import number
from handlers.forms import Draft, FormContext
from kinds import editing as fact_editing
from kinds.audit import fact_ref
from kinds.base import FactKind
from kinds.day_order import day_preview
from kinds.registry import spec_for
from kinds.round import round_labels
from kinds.translations import TRANSLATION_KEYS, preview_lines, translation_field
from render.blocks import esc, visible_length
from store import drafts as store_drafts
from store import notices, queries

PREVIEW_BUDGET = 3500


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


def draft_item(kind: FactKind, payload: dict[str, Any]) -> Any:
    """The validated fact a draft holds."""
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
    item = draft_item(kind, payload)
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
    return "\n" + text.format(n=number(n))


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
        item = draft_item(kind, payload)
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


def only_translations(kind: FactKind, changes: list[Any]) -> bool:
    """True when a correction's typed changes are all translations (or the text's language)."""
    spec = spec_for(kind)
    return bool(changes) and all(
        name in TRANSLATION_KEYS or translation_field(spec, name) is not None
        for name, *_r in changes
    )
