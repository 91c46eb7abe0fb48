"""Read queries any kind shares (sources, names, search hits, chats); kinds/ has the rest."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import FunctionElement, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.search_words import normalize_terms
from store.facts import split_list
from store.models import Citation, Issue, Party, Source, Subscriber, utcnow
from store.views import Page, SourceRef

T = TypeVar("T")


def page_of(items: Sequence[T], *, offset: int, limit: int) -> Page[T]:
    """Cut a list fetched with limit + 1 rows into a page that knows whether more follow."""
    return Page(items=list(items[:limit]), offset=offset, has_more=len(items) > limit)


class json_rows(FunctionElement[Any]):
    """A JSON array holding one array per row of its arguments (an aggregate)."""

    inherit_cache = True


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


def sources_column(kind: str, fact_id: Any) -> Any:
    """A correlated subquery: the fact's sources as JSON, read with the fact in one statement."""
    return (
        select(json_rows(Citation.id, Source.name, Source.url, Source.published, Source.title))
        .select_from(Citation)
        .join(Source, col(Source.id) == col(Citation.source_id))
        .where(Citation.fact_kind == str(kind), Citation.fact_id == fact_id)
        .scalar_subquery()
    )


def parse_sources(raw: Any) -> tuple[SourceRef, ...]:
    """The SourceRefs of a `sources_column` value, in citation order."""
    items = json.loads(raw) if isinstance(raw, str | bytes) else (raw or [])
    return tuple(
        SourceRef(
            name=name,
            url=url,
            published=dt.date.fromisoformat(published[:10]) if published else None,
            title=title,
        )
        for _, name, url, published, title in sorted(items, key=lambda item: item[0])
    )


async def sources_for(
    session: AsyncSession, *, kind: str, fact_ids: Sequence[int]
) -> dict[int, tuple[SourceRef, ...]]:
    """The sources of many facts of one kind, in citation order, in one query."""
    if not fact_ids:
        return {}
    rows = await session.exec(
        select(
            Citation.fact_id,
            json_rows(Citation.id, Source.name, Source.url, Source.published, Source.title),
        )
        .join(Source, col(Source.id) == col(Citation.source_id))
        .where(Citation.fact_kind == str(kind), col(Citation.fact_id).in_(list(fact_ids)))
        .group_by(col(Citation.fact_id))
    )
    return {fact_id: refs for fact_id, raw in rows if (refs := parse_sources(raw))}


# ---------------------------------------------------------------- parties and issues


@functools.lru_cache(maxsize=4096)
def normalize_name(value: str) -> str:
    """Casefold, strip accents and punctuation, collapse spaces: for forgiving name matching."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


@dataclass(frozen=True, slots=True)
class NamedThing:
    """A party or an issue as name matching sees it."""

    kind: str  # "party" or "issue"
    id: int
    key: str
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NameMatch:
    """The outcome of matching a typed name: the thing found, or close suggestions."""

    found: NamedThing | None
    suggestions: tuple[NamedThing, ...] = ()


async def parties_and_issues(session: AsyncSession) -> list[NamedThing]:
    """Every party and issue, parties first, each with its aliases."""
    parties = (await session.exec(select(Party).order_by(col(Party.name)))).all()
    issues = (await session.exec(select(Issue).order_by(col(Issue.name)))).all()
    return [
        NamedThing(kind, r.id, r.key, r.name, split_list(r.aliases))
        for kind, rows in (("party", parties), ("issue", issues))
        for r in rows
        if r.id is not None
    ]


def match_name(text_: str, things: Sequence[NamedThing]) -> NameMatch:
    """Match a typed name against keys, names and aliases: exact, then prefix, then fuzzy."""
    wanted = normalize_name(text_)
    if not wanted:
        return NameMatch(found=None)
    labels: list[tuple[str, NamedThing]] = []
    for thing in things:
        for label in (thing.key, thing.name, *thing.aliases):
            norm = normalize_name(label)
            if norm:
                labels.append((norm, thing))
    for norm, thing in labels:
        if norm == wanted:
            return NameMatch(found=thing)
    prefixed = {thing for norm, thing in labels if norm.startswith(wanted) and len(wanted) >= 3}
    if len(prefixed) == 1:
        return NameMatch(found=prefixed.pop())
    close = difflib.get_close_matches(wanted, [n for n, _ in labels], n=5, cutoff=0.75)
    suggestions: dict[int, NamedThing] = {}
    for norm, thing in labels:
        if norm in close or thing in prefixed:
            suggestions.setdefault(hash((thing.kind, thing.id)), thing)
    return NameMatch(found=None, suggestions=tuple(suggestions.values())[:3])


async def find_party_or_issue(session: AsyncSession, *, name: str) -> NameMatch:
    """Find the party or issue a user means by `name`."""
    return match_name(name, await parties_and_issues(session))


# ---------------------------------------------------------------- search

_WORD = re.compile(r"\w+", re.UNICODE)
RANKED_MATCHES_MAX = 300


def search_terms(query: str) -> list[str]:
    """The words of a search query, lowercased, without operators or punctuation."""
    return [w.casefold() for w in _WORD.findall(query)][:12]


async def search_hits(
    session: AsyncSession, *, query: str, limit: int, offset: int = 0, any_word: bool = False
) -> list[tuple[str, int]]:
    """(kind, id) of live facts matching every word (or, with `any_word`, some of them),
    best match first, newer first on ties."""
    terms = normalize_terms(search_terms(query))
    if any_word:
        terms = [t for t in terms if t != "or"]
    if not terms:
        return []
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # websearch_to_tsquery reads "a or b" as either word; plainto_tsquery needs all.
        parse = "websearch_to_tsquery" if any_word else "plainto_tsquery"
        sql = text(
            f"SELECT fact_kind, fact_id FROM search_doc, {parse}('english', :q) AS q "
            "WHERE tsv @@ q ORDER BY round(ts_rank(tsv, q)::numeric, 4) DESC, "
            "fact_date DESC, id DESC LIMIT :limit OFFSET :offset"
        ).bindparams(q=(" or " if any_word else " ").join(terms), limit=limit + 1, offset=offset)
    else:
        # Quoting each term keeps FTS5 operators (AND, NEAR, *, :) typed by users inert.
        joiner = " OR " if any_word else " "
        match = joiner.join('"' + t.replace('"', "") + '"' for t in terms)
        counted = await session.exec(  # type: ignore[call-overload]
            text(
                "SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH :match "
                "LIMIT :cap)"
            ).bindparams(match=match, cap=RANKED_MATCHES_MAX + 1)
        )
        # Any-word results are always ranked: matching more of the words is what orders them.
        if not any_word and int(counted.scalar_one()) > RANKED_MATCHES_MAX:
            # A word found in hundreds of facts carries next to no weight in bm25 (the ranks
            # tie), and ranking every match costs ~200 ms on 100k facts: newest stored first.
            order = "search_fts.rowid DESC"
        else:
            order = "round(search_fts.rank, 4), d.fact_date DESC, d.id DESC"
        sql = text(
            "SELECT d.fact_kind, d.fact_id FROM search_fts "
            "JOIN search_doc AS d ON d.id = search_fts.rowid "
            f"WHERE search_fts MATCH :match ORDER BY {order} "
            "LIMIT :limit OFFSET :offset"
        ).bindparams(match=match, limit=limit + 1, offset=offset)
    # sqlmodel types exec() for select() only; a textual query runs the same way.
    result = await session.exec(sql)  # type: ignore[call-overload]
    return [(str(kind), int(fact_id)) for kind, fact_id in result.all()]


# ---------------------------------------------------------------- subscribers


async def record_chat(
    session: AsyncSession,
    *,
    chat_id: int,
    chat_type: str,
    language_code: str | None,
    thread_id: int = 0,
) -> None:
    """Insert or refresh a chat's (or topic's) row: first seen kept, last seen bumped."""
    now = utcnow()
    values = {
        "chat_id": chat_id,
        "thread_id": thread_id,
        "chat_type": chat_type,
        "language_code": language_code,
        "first_seen": now,
        "last_seen": now,
        "subscribed": False,
        "quiet": False,
        "active": True,
        "failures": 0,
    }
    if thread_id:
        # A new topic of a group speaks the language the group chose with /language.
        chosen = await session.exec(
            select(Subscriber.language).where(
                col(Subscriber.chat_id) == chat_id, col(Subscriber.language).is_not(None)
            )
        )
        values["language"] = chosen.first()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Subscriber).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[
            Subscriber.__table__.c.chat_id,  # type: ignore[attr-defined]
            Subscriber.__table__.c.thread_id,  # type: ignore[attr-defined]
        ],
        set_={
            "chat_type": stmt.excluded.chat_type,
            "language_code": stmt.excluded.language_code,
            "last_seen": stmt.excluded.last_seen,
            # Talking to the bot again (e.g. /start after unblocking it) reactivates a chat.
            "active": True,
            "failures": 0,
        },
    )
    await session.exec(stmt)
    # Talking to the bot again reactivates the chat's topic subscriptions too.
    await session.exec(
        update(Subscriber)
        .where(col(Subscriber.chat_id) == chat_id, col(Subscriber.active).is_(False))
        .values(active=True, failures=0)
    )
    await session.commit()


async def get_subscriber(
    session: AsyncSession, *, chat_id: int, thread_id: int = 0
) -> Subscriber | None:
    """The subscriber row of a chat (or of one of its forum topics), if it has talked to the bot."""
    return await session.get(Subscriber, (chat_id, thread_id))
