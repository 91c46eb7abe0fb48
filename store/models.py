"""SQLModel tables every kind shares: parties, issues, sources, citations, search, subscribers,
the audit log, drafts and the delivery ledger. Each kind's own tables live in kinds/."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    PrimaryKeyConstraint,
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
    # Order within a day (migration 0010): an editor's lead story first, then by event time.
    event_time: dt.time | None = Field(default=None, description="Local time of the event")
    lead: bool = Field(default=False, description="The day's lead story, listed first")
    # How precise the fact's date is (core/when.py): a day, a month, or a range up to date_until;
    # date_approx marks "~". Older facts are exact days.
    date_precision: str = Field(
        default="day", max_length=8, sa_column_kwargs={"server_default": "day"}
    )
    date_until: dt.date | None = None
    date_approx: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # The language the fact's own text is written in (migration 0016); translations are in
    # fact_translation.
    language: str = Field(default="en", max_length=8, sa_column_kwargs={"server_default": "en"})


class FactTranslation(SQLModel, table=True):
    """One text field of one fact in another language (any kind; kinds name them `translatable`)."""

    __tablename__ = "fact_translation"
    __table_args__ = (
        UniqueConstraint(
            "fact_kind", "fact_id", "field", "language", name="uq_fact_translation_field"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    fact_kind: str = Field(max_length=16)
    fact_id: int
    field: str = Field(max_length=100)
    language: str = Field(max_length=8)
    text: str = Field(sa_type=Text)


class FactAlternative(SQLModel, table=True):
    """A value another source reports for one field of one fact (where sources disagree)."""

    __tablename__ = "fact_alternative"
    __table_args__ = (Index("ix_fact_alternative_fact", "fact_kind", "fact_id"),)

    id: int | None = Field(default=None, primary_key=True)
    fact_kind: str = Field(max_length=16)
    fact_id: int
    field: str = Field(max_length=100, description="A field name of the kind, or a free label")
    value: str = Field(sa_type=Text)
    source_id: int = Field(foreign_key="source.id")


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

    __table_args__ = (
        PrimaryKeyConstraint("chat_id", "thread_id", name="pk_subscriber"),
        Index("ix_subscriber_slot", "subscribed", "briefing_time", "timezone"),
    )

    chat_id: int = Field(sa_column=Column(BigInteger, autoincrement=False, nullable=False))
    # A forum topic's message_thread_id; 0 is the chat itself (or its General topic).
    thread_id: int = Field(
        default=0,
        sa_column=Column(BigInteger, autoincrement=False, nullable=False, server_default="0"),
    )
    chat_type: str = Field(max_length=16)
    language_code: str | None = Field(default=None, max_length=16)
    language: str | None = Field(
        default=None, max_length=8, description="Chosen with /language; NULL: the user's own"
    )
    first_seen: dt.datetime = _stamp(default_factory=utcnow)
    last_seen: dt.datetime = _stamp(default_factory=utcnow)
    subscribed: bool = False
    briefing_time: dt.time | None = Field(default=None, description="Local time of the briefing")
    timezone: str | None = Field(default=None, max_length=64, description="IANA zone name")
    quiet: bool = Field(default=False, description="Send briefings without a notification sound")
    active: bool = Field(default=True, description="False once Telegram says the bot is blocked")
    failures: int = Field(default=0, description="Consecutive deliveries refused with 403")
    last_briefing_at: dt.datetime | None = _stamp(default=None)
    interests: str | None = Field(
        default=None, sa_type=Text, description="Issue keys and kinds followed, comma-separated"
    )
    news: bool = Field(default=True, description="Editors' breaking news go here too")
    username: str | None = Field(default=None, max_length=64, description="A channel's @name")
    notices: bool = Field(
        default=True,
        sa_column_kwargs={"server_default": text("true")},
        description="Send a notice when a fact this chat was sent is corrected or retracted",
    )


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
    # Not a preview: an editor's open form (a guided /add, or corrections after Edit).
    FORM = "form"


OPEN_FORM = text("status = 'form'")


class Draft(SQLModel, table=True):
    """An editor's previewed change or open form, in the database so any replica can finish it.

    A preview (create, edit, retract, broadcast) waits for Save or Cancel; a form (status
    `form`) is the one open form of a user in a chat, closed when `expires_at` passes.
    """

    __table_args__ = (
        Index(
            "ux_draft_open_form",
            "chat_id",
            "actor_id",
            unique=True,
            sqlite_where=OPEN_FORM,
            postgresql_where=OPEN_FORM,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = _stamp(default_factory=utcnow)
    actor_id: int = Field(sa_type=BigInteger)
    chat_id: int = Field(sa_type=BigInteger)
    action: str = Field(
        max_length=16, description="create, edit, retract, broadcast; guided or correct (forms)"
    )
    fact_kind: str | None = Field(default=None, max_length=16, description="None: a broadcast")
    fact_id: int | None = None
    payload: str = Field(sa_type=Text, description="The validated change, as JSON")
    status: str = Field(default=DraftStatus.PENDING.value, max_length=16)
    result_id: int | None = None
    expires_at: dt.datetime | None = _stamp(default=None, nullable=True)


class DeliveryStatus(StrEnum):
    """A delivery's progress; a `sending` row whose run died is in doubt (`unknown`)."""

    CLAIMED = "claimed"
    SENDING = "sending"
    RETRY = "retry"  # provably not (wholly) delivered yet: sent again from lease_until on
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


class Delivery(SQLModel, table=True):
    """The ledger: one row per chat and message to deliver (a day's briefing, a broadcast).

    The unique (chat_id, thread_id, key) triple is what makes delivery happen at most once,
    whichever process or replica claims it first.
    """

    __table_args__ = (
        UniqueConstraint("chat_id", "thread_id", "key", name="uq_delivery_chat_thread_key"),
        Index("ix_delivery_status_lease", "status", "lease_until"),
        Index("ix_delivery_run", "run_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    thread_id: int = Field(default=0, sa_type=BigInteger, description="0: not a forum topic")
    key: str = Field(max_length=48, description="briefing:YYYY-MM-DD or broadcast:ID")
    status: str = Field(default=DeliveryStatus.CLAIMED.value, max_length=16)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: dt.datetime | None = _stamp(default=None)
    attempts: int = 0
    error: str | None = Field(default=None, sa_type=Text)
    created_at: dt.datetime = _stamp(default_factory=utcnow)
    sent_at: dt.datetime | None = _stamp(default=None)
    run_id: int | None = None
    parts_sent: int = 0  # messages of a multi-message briefing already delivered


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
    finished_at: dt.datetime | None = _stamp(default=None)  # None: resumed by the next sweep


class ChartFile(SQLModel, table=True):
    """The Telegram file_id of a chart already uploaded, by the hash of what it shows."""

    __tablename__ = "chart_file"

    key: str = Field(primary_key=True, max_length=64)
    file_id: str = Field(sa_type=Text)
    created_at: dt.datetime = _stamp(default_factory=utcnow)


class DeliveredFact(SQLModel, table=True):
    """A fact a chat (or forum topic) was sent in one delivery (ledger key), and its message."""

    __tablename__ = "delivered_fact"
    __table_args__ = (
        UniqueConstraint(
            "chat_id", "thread_id", "key", "fact_kind", "fact_id", name="uq_delivered_fact_topic"
        ),
        Index("ix_delivered_fact_fact", "fact_kind", "fact_id"),
        Index("ix_delivered_fact_sent_at", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    thread_id: int = Field(
        default=0,
        sa_column=Column(BigInteger, nullable=False, server_default="0"),
        description="The forum topic it went to; 0: not a topic",
    )
    key: str = Field(max_length=48, description="The delivery's ledger key, e.g. briefing:DAY")
    fact_kind: str = Field(max_length=16)
    fact_id: int
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    sent_at: dt.datetime = _stamp(default_factory=utcnow)


class CorrectionNotice(SQLModel, table=True):
    """A correction or retraction (an audit entry) a chat or topic that got the fact is told of.

    `key` is the ledger key of the notice message (notice:YYYY-MM-DDTHH, the hour it was made
    in): the notices of one chat (or topic) and hour go out as one message, once.
    """

    __tablename__ = "correction_notice"
    __table_args__ = (
        UniqueConstraint("chat_id", "thread_id", "audit_id", name="uq_correction_notice_topic"),
        Index("ix_correction_notice_key", "key", "chat_id", "thread_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger)
    thread_id: int = Field(
        default=0,
        sa_column=Column(BigInteger, nullable=False, server_default="0"),
        description="The forum topic to tell; 0: not a topic",
    )
    key: str = Field(max_length=48)
    audit_id: int = Field(foreign_key="audit_entry.id")
    fact_kind: str = Field(max_length=16)
    fact_id: int
    created_at: dt.datetime = _stamp(default_factory=utcnow)
