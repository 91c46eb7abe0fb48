"""/add, /position, /exchange, /round: editors add facts, one-shot or step by step.

A guided form's answers live in the database (handlers.open_forms), so its next answer may
reach any replica, or this one after a restart.
"""

from __future__ import annotations

from typing import Any, assert_never

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    MessageHandler,
    filters,
)

from core.context import BotContext
from core.i18n import _
from handlers.admin import editors_only
from handlers.common import reply, sender_is_editor
from handlers.drafts import cancel_correction, draft_correction
from handlers.forms import LANGUAGE, build_draft, check_field, parse_form, split_answer
from handlers.open_forms import (
    CROSSED,
    close_form,
    closed_if_expired,
    current_form,
    keep_form,
    open_form,
    payload_of,
)
from handlers.previews import draft_payload, form_context, problems_text, send_preview
from kinds.base import FactKind
from kinds.editing import kind_of
from kinds.forms import ALSO
from kinds.registry import SPECS, spec_for
from render.blocks import esc
from store.drafts import FormAction
from store.models import Draft

COMMAND_KINDS = {spec.add_command: spec.kind for spec in SPECS}
# A guided form's state key, set once a problem found at the end was shown: the answer asked
# again then leads straight back to the preview.
FIXING = "fixing"


def usage(kind: FactKind) -> str:
    """How to write the one-shot form of a kind, and that the bare command asks step by step."""
    return (
        _("Write it like this:")
        + f"\n{spec_for(kind).usage}\n"
        + _("Or send just the command and I will ask field by field.")
    )


def _translation_hint(kind: FactKind) -> str:
    """One line on the guided form's translations, for kinds that have any."""
    translatable = spec_for(kind).translatable
    if not translatable:
        return ""
    return "\n" + _("🌐 Any answer may add translations: “{field} uk: …”.").format(
        field=translatable[0]
    )


def _kind_of(update: Update) -> FactKind:
    text = (update.effective_message.text or "") if update.effective_message else ""
    command = text.split(maxsplit=1)[0].lstrip("/").split("@")[0].lower() if text else ""
    return COMMAND_KINDS[command]


@editors_only
async def add_form(update: Update, context: BotContext) -> None:
    """One-shot form with fields: preview it. Bare command: start the guided form."""
    message = update.effective_message
    assert message is not None and message.text is not None
    kind = _kind_of(update)
    form = parse_form(kind, message.text)
    if not form.values and not form.errors:
        await open_form(
            update, context, action=FormAction.GUIDED, kind=kind, payload={"values": {}, "step": 0}
        )
        await reply(
            update,
            _(
                "New {kind}, step by step. /skip leaves out an optional field, /cancel stops."
            ).format(kind=_(spec_for(kind).noun))
            + _translation_hint(kind)
            + "\n\n"
            + _(spec_for(kind).fields[0].prompt),
        )
        return
    # A one-shot form replaces whatever form the editor had open here.
    open_one = await current_form(update, context)
    if open_one is not None:
        await close_form(context, open_one)
    built = build_draft(kind, form.values, await form_context(context))
    if form.errors or isinstance(built, list):
        problems = form.errors + (built if isinstance(built, list) else [])
        await reply(update, problems_text(problems, usage(kind)))
        return
    await send_preview(
        update, context, action="create", kind=kind, payload=draft_payload(built, form.values)
    )


async def _next_step(
    update: Update, context: BotContext, form: Draft, state: dict[str, Any]
) -> None:
    kind = kind_of(form)
    step = int(state["step"]) + 1
    specs = spec_for(kind).fields
    # After a problem found at the end, the one answer asked again leads back to the preview.
    if step < len(specs) and not state.get(FIXING):
        state["step"] = step
        kept = await keep_form(context, form, state)
        await reply(update, _(specs[step].prompt) if kept else _(CROSSED))
        return
    values = dict(state["values"])
    built = build_draft(kind, values, await form_context(context))
    if isinstance(built, list):
        # Checked only now (across fields): the answers are kept, and the field the first
        # problem names (else the last one) is asked again.
        step, also = _field_to_fix(built, [f.name for f in specs])
        state["step"], state[FIXING] = step, True
        if also:  # another source's value of that field was wrong: it goes, to be typed again
            lines = str(state["values"].get(ALSO, "")).split("\n")
            state["values"][ALSO] = "\n".join(
                line for line in lines if line.partition(":")[0].split()[:1] != [specs[step].name]
            )
        kept = await keep_form(context, form, state)
        again = _(specs[state["step"]].prompt) + "\n" + _("(/cancel stops; nothing is stored)")
        await reply(update, problems_text(built, again) if kept else _(CROSSED))
        return
    if not await close_form(context, form):
        return  # finished or cancelled by another update meanwhile
    await send_preview(
        update, context, action="create", kind=kind, payload=draft_payload(built, values)
    )


def _field_to_fix(problems: list[str], names: list[str]) -> tuple[int, bool]:
    """The step of the first field a problem names (`name: …`, `name also: …`), else the last;
    and whether the problem is with another source's value of it (`also`)."""
    for problem in problems:
        head = problem.split(":", 1)[0].replace(",", " ").split()
        for word in head:
            if word in names:
                return names.index(word), "also" in head
    return len(names) - 1, False


async def guided_answer(update: Update, context: BotContext, form: Draft) -> None:
    """Take the answer to the current question, check it, then ask the next one."""
    message = update.effective_message
    assert message is not None and message.text is not None
    state = payload_of(form)
    kind = kind_of(form)
    spec = spec_for(kind).fields[state["step"]]
    # Any answer may carry other sources' values (`FIELD also: …`), translations
    # (`headline uk: …`) and the language of the fact's own text (`language: uk`); a wrong
    # translation or language line changes nothing.
    answer = split_answer(kind, message.text)
    if answer.problems:
        kept = await keep_form(context, form, state)
        await reply(
            update, (esc(answer.problems[0]) + "\n\n" + _(spec.prompt)) if kept else _(CROSSED)
        )
        return
    value, values = answer.value, state["values"]
    if answer.also:
        values[ALSO] = "\n".join(filter(None, [values.get(ALSO), answer.also]))
    values.update(answer.translations)
    if answer.language:
        values[LANGUAGE] = answer.language
    if not value and (answer.also or answer.translations or answer.language):
        noted = [_("⚖️ Noted.")] if answer.also else []
        if answer.translations:
            noted.append(_("🌐 Noted: {fields}.").format(fields=", ".join(answer.translations)))
        if answer.language:
            noted.append(_("🌐 Original language: {language}").format(language=answer.language))
        kept = await keep_form(context, form, state)
        await reply(
            update, (esc(" ".join(noted)) + "\n\n" + _(spec.prompt)) if kept else _(CROSSED)
        )
        return
    problems = check_field(kind, spec.name, value, await form_context(context))
    if problems:
        kept = await keep_form(context, form, state)
        await reply(update, (esc(problems[0]) + "\n\n" + _(spec.prompt)) if kept else _(CROSSED))
        return
    state["values"][spec.name] = value
    await _next_step(update, context, form, state)


async def guided_skip(update: Update, context: BotContext, form: Draft) -> None:
    """/skip: leave out an optional field."""
    state = payload_of(form)
    spec = spec_for(kind_of(form)).fields[state["step"]]
    if spec.required:
        kept = await keep_form(context, form, state)
        needed = _("{field} is needed.").format(field=spec.name) + " " + _(spec.prompt)
        await reply(update, needed if kept else _(CROSSED))
        return
    state["values"].pop(spec.name, None)  # an answer given before (asked again) is dropped
    await _next_step(update, context, form, state)


async def guided_cancel(update: Update, context: BotContext, form: Draft) -> None:
    """/cancel: stop the guided form; nothing is stored."""
    await close_form(context, form)
    await reply(update, _("Cancelled — nothing was stored."))


def _command(update: Update) -> str:
    text = (update.effective_message.text or "") if update.effective_message else ""
    return text.split(maxsplit=1)[0].lstrip("/").split("@")[0].lower() if text else ""


async def form_answer(update: Update, context: BotContext) -> None:
    """An editor's text, /skip or /cancel goes to their open form here, if they have one."""
    message = update.effective_message
    if message is None or not message.text or not sender_is_editor(update, context):
        return
    form = await current_form(update, context)
    if form is None:
        return
    if await closed_if_expired(context, form):
        raise ApplicationHandlerStop  # the answer came too late: the editor was told so
    command = _command(update) if message.text.startswith("/") else ""
    action = FormAction(form.action)
    match action:
        case FormAction.GUIDED:
            if command == "cancel":
                await guided_cancel(update, context, form)
            elif command == "skip":
                await guided_skip(update, context, form)
            else:
                await guided_answer(update, context, form)
        case FormAction.CORRECT:
            if command == "skip":
                return  # corrections have no optional questions: /skip is not for them
            if command == "cancel":
                await cancel_correction(update, context, form)
            else:
                await draft_correction(update, context, form)
        case _:
            assert_never(action)
    raise ApplicationHandlerStop


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire the four add commands, and (in group -1, ahead of the catch-alls) open forms."""
    app.add_handler(CommandHandler(list(COMMAND_KINDS), add_form))
    app.add_handler(CommandHandler(["skip", "cancel"], form_answer), group=-1)
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, form_answer), group=-1)
