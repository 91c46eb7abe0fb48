"""SQLModel tables of the curated store: parties, issues, facts, sources and subscribers."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    """The current time, UTC-aware."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store UTC-aware timestamps only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        stamp: dt.datetime = value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=dt.UTC)
        return stamp.astimezone(dt.UTC)


def _stamp(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class FactKind(StrEnum):
    """The kinds of curated fact; the value is what citations and search rows store."""

    UPDATE = "update"
    POSITION = "position"
    EXCHANGE = "exchange"
    ROUND = "round"


class ExchangeStatus(StrEnum):
    """Whether an exchange was only agreed or has been carried out."""

    AGREED = "agreed"
    COMPLETED = "completed"


class Party(SQLModel, table=True):
    """A side in the negotiation (or a mediator), e.g. a state."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    aliases: str = Field(default="", sa_type=Text, description="Lowercase aliases, comma-separated")


class Issue(SQLModel, table=True):
    """A topic the parties take positions on, e.g. territory or ceasefire."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    aliases: str = Field(default="", sa_type=Text, description="Lowercase aliases, comma-separated")


class Source(SQLModel, table=True):
    """Where a fact comes from: a publisher, optionally a link and a publication date."""

    __table_args__ = (UniqueConstraint("name", "url", "published", name="uq_source_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, max_length=128, unique=True)
    name: str = Field(max_length=200)
    title: str | None = Field(default=None, sa_type=Text)
    url: str | None = Field(default=None, max_length=2048)
    published: dt.date | None = None


class Citation(SQLModel, table=True):
    """Links one fact (by kind and id) to one of its sources."""

    __table_args__ = (
        UniqueConstraint("fact_kind", "fact_id", "source_id", name="uq_citation"),
        Index("ix_citation_fact", "fact_kind", "fact_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    fact_kind: str = Field(max_length=16)
    fact_id: int
    source_id: int = Field(foreign_key="source.id")


class FactBase(SQLModel):
    """Columns every curated fact shares: a stable key, timestamps and retraction."""

    key: str | None = Field(default=None, max_length=128, unique=True)
    created_at: dt.datetime = _stamp(default_factory=utcnow)
    updated_at: dt.datetime = _stamp(default_factory=utcnow)
    retracted_at: dt.datetime | None = _stamp(default=None)
    retraction_reason: str | None = Field(default=None, sa_type=Text)


class TalkRound(FactBase, table=True):
    """One round of talks: when, where, who led each delegation, and what came out of it."""

    __tablename__ = "talk_round"
    __table_args__ = (Index("ix_talk_round_date", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    date: dt.date
    end_date: dt.date | None = None
    title: str = Field(default="", sa_type=Text)
    place: str = Field(default="", sa_type=Text)
    venue: str | None = Field(default=None, sa_type=Text)
    mediator: str | None = Field(default=None, sa_type=Text)
    delegations: str = Field(default="[]", sa_type=Text, description="JSON list of {party, head}")
    duration: str | None = Field(default=None, sa_type=Text)
    duration_minutes: int | None = None
    outcome: str = Field(default="", sa_type=Text)


class NewsUpdate(FactBase, table=True):
    """A dated development: headline, short summary, tags."""

    __tablename__ = "news_update"
    __table_args__ = (
        Index("ix_news_update_date_id", "date", "id"),
        # Briefings ask "what was created, edited or retracted since the last one".
        Index("ix_news_update_created_at", "created_at"),
        Index("ix_news_update_updated_at", "updated_at"),
        # Partial: a plain index on a mostly-NULL column lures SQLite's planner away from
        # ix_news_update_date_id for "live updates, newest first" (150 ms instead of 0.03 ms).
        Index(
            "ix_news_update_retracted_at",
            "retracted_at",
            sqlite_where=text("retracted_at IS NOT NULL"),
            postgresql_where=text("retracted_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    date: dt.date
    headline: str = Field(sa_type=Text)
    summary: str = Field(default="", sa_type=Text)
    tags: str = Field(default="", sa_type=Text, description="Comma-separated tags")
    round_id: int | None = Field(default=None, foreign_key="talk_round.id")


class Position(FactBase, table=True):
    """A party's stance on an issue as of a date; a newer one supersedes it, none is overwritten."""

    __table_args__ = (
        Index("ix_position_party_issue_asof", "party_id", "issue_id", "as_of"),
        # Current stances only (migration 0006): /positions does not read the whole history.
        Index(
            "ix_position_current",
            "issue_id",
            "party_id",
            sqlite_where=text("superseded_by_id IS NULL AND retracted_at IS NULL"),
            postgresql_where=text("superseded_by_id IS NULL AND retracted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    party_id: int = Field(foreign_key="party.id")
    issue_id: int = Field(foreign_key="issue.id")
    stance: str = Field(sa_type=Text)
    as_of: dt.date
    superseded_by_id: int | None = Field(default=None, foreign_key="position.id")


class Exchange(FactBase, table=True):
    """A prisoner exchange, agreed or carried out, with how many people each side got back."""

    __table_args__ = (Index("ix_exchange_date", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    date: dt.date
    end_date: dt.date | None = None
    categories: str = Field(default="", sa_type=Text, description="Comma-separated categories")
    mediator: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default=ExchangeStatus.COMPLETED.value, max_length=16)
    round_id: int | None = Field(default=None, foreign_key="talk_round.id")
    note: str | None = Field(default=None, sa_type=Text)


class ExchangeCount(SQLModel, table=True):
    """How many people one party got back in one exchange (None: not announced)."""

    __tablename__ = "exchange_count"
    __table_args__ = (UniqueConstraint("exchange_id", "party_id", name="uq_exchange_count"),)

    id: int | None = Field(default=None, primary_key=True)
    exchange_id: int = Field(foreign_key="exchange.id", index=True)
    party_id: int = Field(foreign_key="party.id")
    returned: int | None = None


class SearchDoc(SQLModel, table=True):
    """The searchable text of one fact; FTS5 (SQLite) or a tsvector index (PostgreSQL) covers it."""

    __tablename__ = "search_doc"
    __table_args__ = (UniqueConstraint("fact_kind", "fact_id", name="uq_search_doc_fact"),)

    id: int | None = Field(default=None, primary_key=True)
    fact_kind: str = Field(max_length=16)
    fact_id: int
    fact_date: dt.date
    body: str = Field(sa_type=Text)


class Subscriber(SQLModel, table=True):
    """A chat that has talked to the bot; `subscribed` is set by /subscribe."""

    __table_args__ = (Index("ix_subscriber_slot", "subscribed", "briefing_time", "timezone"),)

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_type: str = Field(max_length=16)
    language_code: str | None = Field(default=None, max_length=16)
    first_seen: dt.datetime = _stamp(default_factory=utcnow)
    last_seen: dt.datetime = _stamp(default_factory=utcnow)
    subscribed: bool = False
    briefing_time: dt.time | None = Field(default=None, description="Local time of the briefing")
    timezone: str | None = Field(default=None, max_length=64, description="IANA zone name")
    quiet: bool = Field(default=False, description="Send briefings without a notification sound")
    active: bool = Field(default=True, description="False once Telegram says the bot is blocked")
    failures: int = Field(default=0, description="Consecutive deliveries refused with 403")
    last_briefing_at: dt.datetime | None = _stamp(default=None)


class AuditEntry(SQLModel, table=True):
    """One create, edit, retraction or import of a fact: who, when, before and after (JSON)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_fact", "fact_kind", "fact_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _stamp(default_factory=utcnow)
    actor_id: int | None = Field(default=None, sa_type=BigInteger)
    actor_name: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=16)
    fact_kind: str = Field(max_length=16)
    fact_id: int
    before: str | None = Field(default=None, sa_type=Text)
    after: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)


class DraftStatus(StrEnum):
    """Where an editor's draft stands; only a pending draft can be saved."""

    PENDING = "pending"
    SAVED = "saved"
    CANCELLED = "cancelled"


class Draft(SQLModel, table=True):
    """An editor's previewed change, kept until Save or Cancel so any replica can finish it."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = _stamp(default_factory=utcnow)
    actor_id: int = Field(sa_type=BigInteger)
    chat_id: int = Field(sa_type=BigInteger)
    action: str = Field(max_length=16, description="create, edit or retract")
    fact_kind: str = Field(max_length=16)
    fact_id: int | None = None
    payload: str = Field(sa_type=Text, description="The validated change, as JSON")
    status: str = Field(default=DraftStatus.PENDING.value, max_length=16)
    result_id: int | None = None


class DeliveryStatus(StrEnum):
    """A delivery's progress; `sending` rows that outlive their lease are in doubt."""

    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


class Delivery(SQLModel, table=True):
    """The ledger: one row per chat and message to deliver (a day's briefing, a broadcast).

    The unique (chat_id, key) pair is what makes delivery happen at most once, whichever
    process or replica claims it first.
    """

    __table_args__ = (
        UniqueConstraint("chat_id", "key", name="uq_delivery_chat_key"),
        Index("ix_delivery_status_lease", "status", "lease_until"),
        Index("ix_delivery_run", "run_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    key: str = Field(max_length=48, description="briefing:YYYY-MM-DD or broadcast:ID")
    status: str = Field(default=DeliveryStatus.CLAIMED.value, max_length=16)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: dt.datetime | None = _stamp(default=None)
    attempts: int = 0
    error: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = _stamp(default_factory=utcnow)
    sent_at: dt.datetime | None = _stamp(default=None)
    run_id: int | None = None


class DeliveryRun(SQLModel, table=True):
    """One briefing or broadcast run of one process, with its counts, for /stats."""

    __tablename__ = "delivery_run"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    worker: str = Field(max_length=64)
    started_at: dt.datetime = _stamp(default_factory=utcnow)
    finished_at: dt.datetime | None = _stamp(default=None)
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    unknown: int = 0


class Broadcast(SQLModel, table=True):
    """Breaking news an editor sent to every active subscriber."""

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_type=Text)
    created_by: int | None = Field(default=None, sa_type=BigInteger)
    created_at: dt.datetime = _stamp(default_factory=utcnow)


FACT_TABLES: dict[FactKind, type[FactBase]] = {
    FactKind.UPDATE: NewsUpdate,
    FactKind.POSITION: Position,
    FactKind.EXCHANGE: Exchange,
    FactKind.ROUND: TalkRound,
}
