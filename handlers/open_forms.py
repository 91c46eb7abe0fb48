"""Editors' open forms kept in the database: any replica continues them, a restart loses none.

A form expires TIMEOUT_SECONDS after its last answer. The process that took that answer closes
it on time (a JobQueue job); a sweep closes the forms of processes that went away, and a form
found expired when the next message arrives is closed then. Whoever deletes the row tells the
editor, so the editor is told once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from core.context import BotContext
from core.i18n import N_, _
from kinds.base import FactKind
from store import drafts
from store.drafts import FormAction
from store.models import Draft, utcnow

log = logging.getLogger(__name__)

TIMEOUT_SECONDS: float = 600
SWEEP_SECONDS = 60

CLOSED = {
    FormAction.GUIDED: N_(
        "No answer for 10 minutes, so I closed that form — nothing was stored. "
        "Send the command again to start over."
    ),
    FormAction.CORRECT: N_(
        "No corrections for 10 minutes, so I stopped waiting for them. "
        "The preview stays as it was; use its buttons to save or cancel."
    ),
}

CROSSED = N_(
    "Another message to this form arrived at the same moment and was taken first; "
    "send yours again if it is still needed."
)


def _expiry() -> dt.datetime:
    return utcnow() + dt.timedelta(seconds=TIMEOUT_SECONDS)


def payload_of(form: Draft) -> dict[str, Any]:
    """A form's answers so far."""
    data: dict[str, Any] = json.loads(form.payload)
    return data


async def open_form(
    update: Update,
    context: BotContext,
    *,
    action: FormAction,
    kind: FactKind,
    payload: dict[str, Any],
) -> None:
    """Open the sender's form in this chat (replacing any other) and watch its expiry."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    async with context.session() as session:
        form = await drafts.open_form(
            session,
            chat_id=chat.id,
            actor_id=user.id,
            action=action,
            kind=kind,
            payload=payload,
            expires_at=_expiry(),
        )
    _watch(context, form)


async def current_form(update: Update, context: BotContext) -> Draft | None:
    """The sender's open form in this chat, expired or not (see `closed_if_expired`)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    async with context.session() as session:
        return await drafts.get_form(session, chat_id=chat.id, actor_id=user.id)


async def closed_if_expired(context: BotContext, form: Draft) -> bool:
    """True when the form has expired; if still open, it is closed here and the editor told."""
    assert form.expires_at is not None
    now = utcnow()
    if form.expires_at > now:
        return False
    await _close_expired(context, form, now)
    return True


async def keep_form(context: BotContext, form: Draft, payload: dict[str, Any]) -> bool:
    """Store a form's answers and give it a new expiry; False if it was closed or changed
    meanwhile (two answers at once on two replicas: the first one counts)."""
    assert form.id is not None
    expires_at = _expiry()
    async with context.session() as session:
        kept = await drafts.save_form(
            session, form_id=form.id, read=form.payload, payload=payload, expires_at=expires_at
        )
    if kept:
        form.expires_at = expires_at
        _watch(context, form)
    return kept


async def close_form(context: BotContext, form: Draft) -> bool:
    """Close a form that is done or cancelled; False if another update closed it first."""
    assert form.id is not None
    _unwatch(context, form.id)
    async with context.session() as session:
        return await drafts.close_form(session, form_id=form.id)


def _job_name(form_id: int) -> str:
    return f"form-expiry:{form_id}"


def _unwatch(context: BotContext, form_id: int) -> None:
    if context.job_queue is not None:
        for job in context.job_queue.get_jobs_by_name(_job_name(form_id)):
            job.schedule_removal()


def _watch(context: BotContext, form: Draft) -> None:
    assert form.id is not None
    queue: Any = context.job_queue  # typed by the app's context type, which mypy cannot see
    if queue is None:
        return
    _unwatch(context, form.id)
    queue.run_once(
        _expire,
        TIMEOUT_SECONDS + 0.05,
        data=form.id,
        name=_job_name(form.id),
    )


async def _expire(context: BotContext) -> None:
    job = context.job
    assert job is not None and isinstance(job.data, int)
    async with context.session() as session:
        form = await drafts.get_draft(session, draft_id=job.data)
    if form is not None:
        await _close_expired(context, form, utcnow())


async def _close_expired(context: BotContext, form: Draft, now: dt.datetime) -> None:
    assert form.id is not None
    async with context.session() as session:
        if not await drafts.close_form(session, form_id=form.id, expired_by=now):
            return  # answered in time, or closed by another update or process
    try:
        await context.bot.send_message(form.chat_id, _(CLOSED[FormAction(form.action)]))
    except TelegramError as exc:
        log.warning("Could not say that form %s was closed: %s", form.id, exc)


async def sweep(context: BotContext) -> None:
    """Close the expired forms that no running process is watching (their process stopped)."""
    now = utcnow()
    async with context.session() as session:
        expired = await drafts.expired_forms(session, now=now)
    for form in expired:
        await _close_expired(context, form, now)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Sweep for expired forms every SWEEP_SECONDS."""
    if app.job_queue is not None:
        app.job_queue.run_repeating(sweep, SWEEP_SECONDS, first=SWEEP_SECONDS, name="form-sweep")
