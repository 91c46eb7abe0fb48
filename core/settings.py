"""Settings from the environment or `.env`; `.env.example` documents each one."""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/briefing.db"


class Settings(BaseSettings):
    """Everything the bot reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base: str | None = None
    telegram_file_base: str | None = None
    timezone: str = "Europe/Kyiv"
    briefing_time: dt.time = dt.time(8, 0)
    log_level: str = "INFO"
    log_format: str = Field(default="text", pattern="^(text|json)$")
    webhook_url: str | None = Field(default=None, description="Public https URL Telegram posts to")
    webhook_secret: SecretStr | None = None
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    date_languages: Annotated[tuple[str, ...], NoDecode] = ("en", "uk", "ru")
    seed_on_empty: bool = Field(
        default=True, description="Load the seed facts into an empty store."
    )
    briefing_catchup: dt.timedelta = dt.timedelta(hours=3)
    briefing_sweep: dt.timedelta = Field(
        default=dt.timedelta(minutes=5),
        description="How often each process looks for due briefings nobody has sent",
    )
    delivery_lease: dt.timedelta = Field(
        default=dt.timedelta(minutes=5),
        description="How long a claim in the delivery ledger holds before others take it over",
    )
    # Telegram's paid broadcasts allow 1,000 messages/s; a run claims two seconds' worth at once.
    briefing_rate: float = Field(
        default=29.0, gt=0, le=1000, description="Messages per second overall"
    )
    http_client: str = Field(
        default="aiohttp", pattern="^(httpx|aiohttp)$", description="Client for Bot API calls"
    )
    rate_limit: bool = Field(default=True, description="Pace calls to chats (services/pacing.py)")
    web_pages: bool = Field(
        default=True, description="Serve the public web pages beside the webhook"
    )
    web_prefix: str = Field(
        default="/web",
        pattern=r"^(/[A-Za-z0-9._~-]+)+$",
        description="Path prefix of the public web pages, e.g. /web",
    )
    web_base_url: str | None = Field(
        default=None, description="Public URL of the web pages; bot messages link facts to it"
    )
    db_pool_size: int = Field(
        default=32,
        # A delivery run and the start-up lock each hold a connection while using others.
        ge=4,
        description="Database connections each process keeps open (at least 4); more wait",
    )

    @field_validator("briefing_catchup", "briefing_sweep", "delivery_lease", mode="before")
    @classmethod
    def _parse_catchup(cls, value: object) -> object:
        """Accept '3h', '90m', '2h30m', '30s' or a number of hours."""
        if isinstance(value, (int, float)):
            return dt.timedelta(hours=value)
        if isinstance(value, str):
            text = value.strip().lower()
            match = re.fullmatch(
                r"(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)s)?", text
            )
            if text and match and any(match.groups()):
                hours = float(match.group(1) or 0)
                seconds = float(match.group(3) or 0)
                return dt.timedelta(hours=hours, minutes=int(match.group(2) or 0), seconds=seconds)
            try:
                return dt.timedelta(hours=float(text))
            except ValueError as exc:
                raise ValueError("takes a duration such as 3h, 90m, 30s or 0.5 (hours)") from exc
        return value

    @field_validator("briefing_sweep", "delivery_lease")
    @classmethod
    def _at_least_a_second(cls, value: dt.timedelta) -> dt.timedelta:
        if value < dt.timedelta(seconds=1):
            raise ValueError("must be at least 1s")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            try:
                return frozenset(int(p) for p in parts if p)
            except ValueError as exc:
                raise ValueError(
                    "ADMIN_IDS must be comma-separated numeric Telegram user ids"
                ) from exc
        return value

    @field_validator("date_languages", mode="before")
    @classmethod
    def _parse_languages(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"TIMEZONE {value!r} is not an IANA time zone name") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        # The message never repeats the URL: it may hold a password.
        try:
            backend = make_url(value).get_backend_name()
        except (ArgumentError, ValueError) as exc:
            raise ValueError("DATABASE_URL is not a database URL") from exc
        if backend not in ("sqlite", "postgresql"):
            raise ValueError("DATABASE_URL must be a sqlite+aiosqlite or postgresql+asyncpg URL")
        return value

    @field_validator("webhook_secret", "webhook_url", "bot_token", "web_base_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("web_base_url")
    @classmethod
    def _check_web_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("WEB_BASE_URL must be an http(s) URL such as https://example.org/web")
        return value.strip().rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @cached_property
    def tz(self) -> ZoneInfo:
        """The configured time zone as a ZoneInfo."""
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        """The bot token in clear, or None when unset."""
        if self.bot_token is None:
            return None
        value = self.bot_token.get_secret_value().strip()
        return value or None
