"""/add, /position, /exchange, /round: editors add facts, one-shot or step by step."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from core.context import BotContext
from handlers.admin import editors_only
from handlers.common import reply
from handlers.drafts import (
    draft_payload,
    form_context,
    problems_text,
    send_preview,
)
from handlers.forms import build_draft, check_field, parse_form
from kinds.base import FactKind
from kinds.registry import SPECS, spec_for
from render.blocks import esc

COMMAND_KINDS = {spec.add_command: spec.kind for spec in SPECS}
ASKING = 0
TIMEOUT_SECONDS = 600


def usage(kind: FactKind) -> str:
    """How to write the one-shot form of a kind, and that the bare command asks step by step."""
    return (
        f"Write it like this:\n{spec_for(kind).usage}\n"
        "Or send just the command and I will ask field by field."
    )


def _kind_of(update: Update) -> FactKind:
    text = (update.effective_message.text or "") if update.effective_message else ""
    command = text.split(maxsplit=1)[0].lstrip("/").split("@")[0].lower() if text else ""
    return COMMAND_KINDS[command]


async def add_cmd(update: Update, context: BotContext) -> int:
    """Entry point: an editor's form, or a refusal that starts no conversation.

    A refused command must end the conversation explicitly: a handler returning None there
    would leave PTB to schedule a timeout, and the non-editor would later be told that a form
    they never opened was closed.
    """
    state = await add_form(update, context)
    return ConversationHandler.END if state is None else state


@editors_only
async def add_form(update: Update, context: BotContext) -> int:
    """One-shot form with fields: preview it. Bare command: start the guided form."""
    message = update.effective_message
    assert message is not None and message.text is not None
    kind = _kind_of(update)
    form = parse_form(kind, message.text)
    if not form.values and not form.errors:
        user_data = context.user_data
        assert user_data is not None
        user_data["guided"] = {"kind": kind.value, "values": {}, "step": 0}
        await reply(
            update,
            f"New {spec_for(kind).noun}, step by step. /skip leaves out an optional field, "
            "/cancel stops.\n\n" + spec_for(kind).fields[0].prompt,
        )
        return ASKING
    built = build_draft(kind, form.values, await form_context(context))
    if form.errors or isinstance(built, list):
        problems = form.errors + (built if isinstance(built, list) else [])
        await reply(update, problems_text(problems, usage(kind)))
        return ConversationHandler.END
    await send_preview(
        update, context, action="create", kind=kind, payload=draft_payload(built, form.values)
    )
    return ConversationHandler.END


async def _next_step(update: Update, context: BotContext, state: dict[str, object]) -> int:
    kind = FactKind(str(state["kind"]))
    step = int(str(state["step"])) + 1
    specs = spec_for(kind).fields
    if step < len(specs):
        state["step"] = step
        await reply(update, specs[step].prompt)
        return ASKING
    user_data = context.user_data
    assert user_data is not None
    user_data.pop("guided", None)
    values = dict(state["values"])  # type: ignore[call-overload]
    built = build_draft(kind, values, await form_context(context))
    if isinstance(built, list):
        await reply(update, problems_text(built, usage(kind)))
        return ConversationHandler.END
    await send_preview(
        update, context, action="create", kind=kind, payload=draft_payload(built, values)
    )
    return ConversationHandler.END


@editors_only
async def guided_answer(update: Update, context: BotContext) -> int:
    """Take the answer to the current question, check it, then ask the next one."""
    user_data = context.user_data
    state = user_data.get("guided") if user_data else None
    message = update.effective_message
    if state is None or message is None or not message.text:
        return ConversationHandler.END
    kind = FactKind(state["kind"])
    spec = spec_for(kind).fields[state["step"]]
    value = message.text.strip()
    problems = check_field(kind, spec.name, value, await form_context(context))
    if problems:
        await reply(update, esc(problems[0]) + "\n\n" + spec.prompt)
        return ASKING
    state["values"][spec.name] = value
    return await _next_step(update, context, state)


@editors_only
async def guided_skip(update: Update, context: BotContext) -> int:
    """/skip: leave out an optional field."""
    user_data = context.user_data
    state = user_data.get("guided") if user_data else None
    if state is None:
        return ConversationHandler.END
    spec = spec_for(state["kind"]).fields[state["step"]]
    if spec.required:
        await reply(update, f"{spec.name} is needed. {spec.prompt}")
        return ASKING
    return await _next_step(update, context, state)


async def guided_cancel(update: Update, context: BotContext) -> int:
    """/cancel: stop the guided form; nothing is stored."""
    if context.user_data is not None:
        context.user_data.pop("guided", None)
    await reply(update, "Cancelled — nothing was stored.")
    return ConversationHandler.END


async def guided_timeout(update: object, context: BotContext) -> None:
    """An idle guided form ends politely."""
    if context.user_data is not None:
        context.user_data.pop("guided", None)
    if isinstance(update, Update) and update.effective_chat is not None:
        await update.effective_chat.send_message(
            "No answer for 10 minutes, so I closed that form — nothing was stored. "
            "Send the command again to start over."
        )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire the four add commands as one conversation (one-shot forms end it at once)."""
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler(list(COMMAND_KINDS), add_cmd)],
            states={
                ASKING: [
                    CommandHandler("skip", guided_skip),
                    MessageHandler(filters.TEXT & ~filters.COMMAND, guided_answer),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, guided_timeout)],
            },
            fallbacks=[CommandHandler("cancel", guided_cancel)],
            conversation_timeout=TIMEOUT_SECONDS,
            allow_reentry=True,
            name="add_fact",
        )
    )
