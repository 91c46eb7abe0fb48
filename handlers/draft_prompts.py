"""What a preview asks of its editor: an answer (which stance it supersedes), or translations."""

from __future__ import annotations

from typing import Any

from telegram import Message, Update

from core.context import BotContext
from core.i18n import _
from core.text import MESSAGE_LIMIT
from handlers.previews import draft_buttons, draft_item, preview_text
from kinds import editing as fact_editing
from kinds.base import FactKind
from kinds.registry import spec_for
from kinds.translations import TRANSLATE_HELP, translation_template
from render.blocks import esc
from store import drafts as store_drafts
from store.models import Draft as DraftRow
from store.models import DraftStatus


def translate_prompt(kind: FactKind, payload: dict[str, Any]) -> str:
    """How to add translations to a draft, with its text fields as lines to translate."""
    template = translation_template(spec_for(kind), draft_item(kind, payload))
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


async def answer_question(
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
