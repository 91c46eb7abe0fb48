"""A chat's interface language: chosen with /language, else its users' Telegram language."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Subscriber
from store.queries import record_chat


async def chat_language(session: AsyncSession, *, chat_id: int) -> str | None:
    """The language chosen for a chat with /language, or None (not chosen, or never seen)."""
    row = await session.exec(
        select(Subscriber.language)
        .where(col(Subscriber.chat_id) == chat_id, col(Subscriber.language).is_not(None))
        .order_by(col(Subscriber.thread_id))
    )
    return row.first()


async def set_chat_language(
    session: AsyncSession,
    *,
    chat_id: int,
    chat_type: str,
    language_code: str | None,
    language: str,
) -> None:
    """Store the language a chat chose, for all its forum topics (recording the chat if new)."""
    await record_chat(session, chat_id=chat_id, chat_type=chat_type, language_code=language_code)
    rows = await session.exec(select(Subscriber).where(col(Subscriber.chat_id) == chat_id))
    for row in rows.all():
        row.language = language
        session.add(row)
    await session.commit()
