"""The bot's own CallbackContext: typed access to settings and the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import Application, CallbackContext, ExtBot

from core.settings import Settings


@dataclass
class BotData:
    """Process-wide state: settings, and the engine opened in post_init."""

    settings: Settings | None = None
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """Context passed to every handler: `context.settings`, `context.session()`."""

    @property
    def settings(self) -> Settings:
        """The running bot's settings."""
        settings = self.bot_data.settings
        assert settings is not None, "build_application sets the settings"
        return settings

    def session(self) -> Any:
        """A new database session (use as `async with context.session() as session:`)."""
        sessions = self.bot_data.sessions
        if sessions is None:
            raise RuntimeError("the database is not open yet (post_init has not run)")
        return sessions()


BriefingApp = Application[ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any]
