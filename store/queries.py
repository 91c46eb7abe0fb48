"""Read queries: every function takes the session and returns views, never rows to mutate."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import FunctionElement, extract, func, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.compiler import compiles
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.facts import split_list
from store.models import (
    FACT_TABLES,
    Citation,
    Exchange,
    ExchangeCount,
    ExchangeStatus,
    FactKind,
    Issue,
    NewsUpdate,
    Party,
    Position,
    Source,
    Subscriber,
    TalkRound,
    utcnow,
)
from store.views import (
    Delegation,
    ExchangeView,
    Fact,
    Page,
    PositionView,
    ReturnedCount,
    RoundView,
    SourceRef,
    UpdateView,
    YearTotals,
)

T = TypeVar("T")


def _page(items: Sequence[T], *, offset: int, limit: int) -> Page[T]:
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


def sources_column(kind: FactKind, fact_id: Any) -> Any:
    """A correlated subquery: the fact's sources as JSON, read with the fact in one statement."""
    return (
        select(json_rows(Citation.id, Source.name, Source.url, Source.published, Source.title))
        .select_from(Citation)
        .join(Source, col(Source.id) == col(Citation.source_id))
        .where(Citation.fact_kind == kind.value, Citation.fact_id == fact_id)
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
    session: AsyncSession, *, kind: FactKind, fact_ids: Sequence[int]
) -> dict[int, tuple[SourceRef, ...]]:
    """The sources of many facts of one kind, in citation order, in one query."""
    if not fact_ids:
        return {}
    table: Any = FACT_TABLES[kind]
    rows = await session.exec(
        select(table.id, sources_column(kind, table.id)).where(col(table.id).in_(fact_ids))
    )
    return {fact_id: refs for fact_id, raw in rows if (refs := parse_sources(raw))}


# ---------------------------------------------------------------- updates


def updates_select() -> Any:
    """News updates with their sources, for `update_views`."""
    return select(NewsUpdate, sources_column(FactKind.UPDATE, NewsUpdate.id))


def update_views(rows: Sequence[Any]) -> list[UpdateView]:
    """Views of `updates_select()` rows."""
    return [
        UpdateView(
            id=r.id,
            date=r.date,
            headline=r.headline,
            summary=r.summary,
            tags=split_list(r.tags),
            sources=parse_sources(raw),
        )
        for r, raw in rows
        if r.id is not None
    ]


async def latest_updates(
    session: AsyncSession, *, limit: int, offset: int = 0, since: dt.date | None = None
) -> Page[UpdateView]:
    """Live updates, newest event date first, optionally only those on or after `since`."""
    stmt = updates_select().where(col(NewsUpdate.retracted_at).is_(None))
    if since is not None:
        stmt = stmt.where(NewsUpdate.date >= since)
    stmt = (
        stmt.order_by(col(NewsUpdate.date).desc(), col(NewsUpdate.id).desc())
        .offset(offset)
        .limit(limit + 1)
    )
    rows = (await session.exec(stmt)).all()
    return _page(update_views(rows), offset=offset, limit=limit)


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


# ---------------------------------------------------------------- positions


async def position_views(session: AsyncSession, stmt: Any) -> list[PositionView]:
    """Run a `positions_select()` statement and return its views."""
    rows = (await session.exec(stmt)).all()
    return [
        PositionView(
            id=pos.id,
            party=party_name,
            issue=issue_name,
            stance=pos.stance,
            as_of=pos.as_of,
            superseded_by_id=pos.superseded_by_id,
            sources=parse_sources(raw),
        )
        for pos, party_name, issue_name, raw in rows
    ]


def positions_select() -> Any:
    return (
        select(Position, Party.name, Issue.name, sources_column(FactKind.POSITION, Position.id))
        .join(Party, col(Party.id) == col(Position.party_id))
        .join(Issue, col(Issue.id) == col(Position.issue_id))
        .where(col(Position.retracted_at).is_(None))
    )


async def current_positions(
    session: AsyncSession,
    *,
    limit: int,
    offset: int = 0,
    party_id: int | None = None,
    issue_id: int | None = None,
) -> Page[PositionView]:
    """Each party's current stance on each issue, grouped by issue, optionally filtered."""
    stmt = positions_select().where(col(Position.superseded_by_id).is_(None))
    if party_id is not None:
        stmt = stmt.where(Position.party_id == party_id)
    if issue_id is not None:
        stmt = stmt.where(Position.issue_id == issue_id)
    stmt = (
        stmt.order_by(col(Issue.name), col(Party.name), col(Position.id))
        .offset(offset)
        .limit(limit + 1)
    )
    return _page(await position_views(session, stmt), offset=offset, limit=limit)


async def position_history(
    session: AsyncSession,
    *,
    issue_id: int,
    limit: int,
    offset: int = 0,
    party_id: int | None = None,
) -> Page[PositionView]:
    """Every live stance ever taken on an issue, newest first, superseded ones included."""
    stmt = positions_select().where(Position.issue_id == issue_id)
    if party_id is not None:
        stmt = stmt.where(Position.party_id == party_id)
    stmt = (
        stmt.order_by(col(Position.as_of).desc(), col(Position.id).desc())
        .offset(offset)
        .limit(limit + 1)
    )
    return _page(await position_views(session, stmt), offset=offset, limit=limit)


# ---------------------------------------------------------------- exchanges


async def exchange_views(session: AsyncSession, rows: Sequence[Any]) -> list[ExchangeView]:
    ids = [row[0].id for row in rows]
    counts: dict[int, list[ReturnedCount]] = defaultdict(list)
    if ids:
        count_rows = await session.exec(
            select(ExchangeCount.exchange_id, Party.name, ExchangeCount.returned)
            .join(Party, col(Party.id) == col(ExchangeCount.party_id))
            .where(col(ExchangeCount.exchange_id).in_(ids))
            .order_by(col(ExchangeCount.id))
        )
        for exchange_id, party_name, returned in count_rows:
            counts[exchange_id].append(ReturnedCount(party=party_name, returned=returned))
    return [
        ExchangeView(
            id=ex.id,
            date=ex.date,
            end_date=ex.end_date,
            status=ex.status,
            counts=tuple(counts.get(ex.id, ())),
            categories=split_list(ex.categories),
            mediator=ex.mediator,
            note=ex.note,
            round_title=round_title,
            round_date=round_date,
            sources=parse_sources(raw),
        )
        for ex, round_title, round_date, raw in rows
    ]


def exchanges_select() -> Any:
    return (
        select(
            Exchange,
            col(TalkRound.title),
            col(TalkRound.date),
            sources_column(FactKind.EXCHANGE, Exchange.id),
        )
        .join(TalkRound, col(TalkRound.id) == col(Exchange.round_id), isouter=True)
        .where(col(Exchange.retracted_at).is_(None))
    )


async def list_exchanges(
    session: AsyncSession, *, limit: int, offset: int = 0
) -> Page[ExchangeView]:
    """Live prisoner exchanges, newest first."""
    stmt = (
        exchanges_select()
        .order_by(col(Exchange.date).desc(), col(Exchange.id).desc())
        .offset(offset)
        .limit(limit + 1)
    )
    rows = (await session.exec(stmt)).all()
    return _page(await exchange_views(session, rows), offset=offset, limit=limit)


# Totals are an aggregate over every exchange (~40 ms at 10k rows); the bot's ReadCache keeps
# them until the next write to the facts.
async def exchange_totals(session: AsyncSession) -> list[YearTotals]:
    """People returned to each party per year, over completed live exchanges, newest year first."""
    return await _compute_exchange_totals(session)


async def _compute_exchange_totals(session: AsyncSession) -> list[YearTotals]:
    year = extract("year", col(Exchange.date))
    live_completed = (
        col(Exchange.retracted_at).is_(None),
        Exchange.status == ExchangeStatus.COMPLETED.value,
    )
    per_party = await session.exec(
        select(year, Party.name, func.sum(ExchangeCount.returned))
        .join(ExchangeCount, col(ExchangeCount.exchange_id) == col(Exchange.id))
        .join(Party, col(Party.id) == col(ExchangeCount.party_id))
        .where(*live_completed)
        .group_by(year, Party.name)
        .order_by(year.desc(), col(Party.name))
    )
    numbers = await session.exec(
        select(year, func.count(col(Exchange.id))).where(*live_completed).group_by(year)
    )
    count_by_year = {int(y): int(n) for y, n in numbers}
    grouped: dict[int, list[ReturnedCount]] = defaultdict(list)
    for y, party_name, total in per_party:
        grouped[int(y)].append(ReturnedCount(party=party_name, returned=int(total or 0)))
    return [
        YearTotals(year=y, per_party=tuple(grouped.get(y, ())), exchanges=count_by_year[y])
        for y in sorted(count_by_year, reverse=True)
    ]


# ---------------------------------------------------------------- rounds


def _round_view(row: TalkRound, sources: tuple[SourceRef, ...]) -> RoundView:
    assert row.id is not None
    try:
        raw = json.loads(row.delegations or "[]")
    except ValueError:
        raw = []
    delegations = tuple(
        Delegation(party=str(d.get("party") or ""), head=str(d.get("head") or ""))
        for d in raw
        if isinstance(d, dict)
    )
    return RoundView(
        id=row.id,
        date=row.date,
        end_date=row.end_date,
        title=row.title,
        place=row.place,
        venue=row.venue,
        mediator=row.mediator,
        delegations=delegations,
        duration=row.duration,
        outcome=row.outcome,
        sources=sources,
    )


def rounds_select() -> Any:
    """Rounds of talks with their sources, for `round_views`."""
    return select(TalkRound, sources_column(FactKind.ROUND, TalkRound.id))


def round_views(rows: Sequence[Any]) -> list[RoundView]:
    """Views of `rounds_select()` rows."""
    return [_round_view(r, parse_sources(raw)) for r, raw in rows]


async def list_rounds(session: AsyncSession, *, limit: int, offset: int = 0) -> Page[RoundView]:
    """Live rounds of talks, newest first."""
    stmt = (
        rounds_select()
        .where(col(TalkRound.retracted_at).is_(None))
        .order_by(col(TalkRound.date).desc(), col(TalkRound.id).desc())
        .offset(offset)
        .limit(limit + 1)
    )
    rows = (await session.exec(stmt)).all()
    return _page(round_views(rows), offset=offset, limit=limit)


# ---------------------------------------------------------------- search

_WORD = re.compile(r"\w+", re.UNICODE)
RANKED_MATCHES_MAX = 300


def search_terms(query: str) -> list[str]:
    """The words of a search query, lowercased, without operators or punctuation."""
    return [w.casefold() for w in _WORD.findall(query)][:12]


async def search_facts(
    session: AsyncSession, *, query: str, limit: int, offset: int = 0
) -> Page[Fact]:
    """Full-text search over live facts of every kind, best match first, newer first on ties."""
    terms = search_terms(query)
    if not terms:
        return Page()
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        sql = text(
            "SELECT fact_kind, fact_id FROM search_doc, plainto_tsquery('english', :q) AS q "
            "WHERE tsv @@ q ORDER BY round(ts_rank(tsv, q)::numeric, 4) DESC, "
            "fact_date DESC, id DESC LIMIT :limit OFFSET :offset"
        ).bindparams(q=" ".join(terms), limit=limit + 1, offset=offset)
    else:
        # Quoting each term keeps FTS5 operators (AND, NEAR, *, :) typed by users inert.
        match = " ".join('"' + t.replace('"', "") + '"' for t in terms)
        counted = await session.exec(  # type: ignore[call-overload]
            text(
                "SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH :match "
                "LIMIT :cap)"
            ).bindparams(match=match, cap=RANKED_MATCHES_MAX + 1)
        )
        if int(counted.scalar_one()) > RANKED_MATCHES_MAX:
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
    hits = [(FactKind(kind), int(fact_id)) for kind, fact_id in result.all()]
    facts = await facts_by_ref(session, refs=hits)
    return _page([facts[h] for h in hits if h in facts], offset=offset, limit=limit)


async def facts_by_ref(
    session: AsyncSession, *, refs: Sequence[tuple[FactKind, int]]
) -> dict[tuple[FactKind, int], Fact]:
    """Load live facts of mixed kinds by (kind, id), one query per kind present."""
    wanted: dict[FactKind, list[int]] = defaultdict(list)
    for kind, fact_id in refs:
        wanted[kind].append(fact_id)
    found: dict[tuple[FactKind, int], Fact] = {}
    if ids := wanted.get(FactKind.UPDATE):
        rows = (
            await session.exec(
                updates_select().where(
                    col(NewsUpdate.id).in_(ids), col(NewsUpdate.retracted_at).is_(None)
                )
            )
        ).all()
        for u in update_views(rows):
            found[(FactKind.UPDATE, u.id)] = u
    if ids := wanted.get(FactKind.POSITION):
        stmt = positions_select().where(col(Position.id).in_(ids))
        for p in await position_views(session, stmt):
            found[(FactKind.POSITION, p.id)] = p
    if ids := wanted.get(FactKind.EXCHANGE):
        rows_x = (await session.exec(exchanges_select().where(col(Exchange.id).in_(ids)))).all()
        for x in await exchange_views(session, rows_x):
            found[(FactKind.EXCHANGE, x.id)] = x
    if ids := wanted.get(FactKind.ROUND):
        rows_r = (
            await session.exec(
                rounds_select().where(
                    col(TalkRound.id).in_(ids), col(TalkRound.retracted_at).is_(None)
                )
            )
        ).all()
        for r in round_views(rows_r):
            found[(FactKind.ROUND, r.id)] = r
    return found


# ---------------------------------------------------------------- subscribers


async def record_chat(
    session: AsyncSession, *, chat_id: int, chat_type: str, language_code: str | None
) -> None:
    """Insert or refresh a chat's row: first seen kept, last seen bumped, reactivated."""
    now = utcnow()
    values = {
        "chat_id": chat_id,
        "chat_type": chat_type,
        "language_code": language_code,
        "first_seen": now,
        "last_seen": now,
        "subscribed": False,
        "quiet": False,
        "active": True,
        "failures": 0,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Subscriber).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Subscriber.__table__.c.chat_id],  # type: ignore[attr-defined]
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
    await session.commit()


async def get_subscriber(session: AsyncSession, *, chat_id: int) -> Subscriber | None:
    """The subscriber row of a chat, if it has talked to the bot."""
    return await session.get(Subscriber, chat_id)


async def count_facts(session: AsyncSession) -> dict[FactKind, int]:
    """How many live facts of each kind the store holds."""
    counts: dict[FactKind, int] = {}
    for kind, model in (
        (FactKind.UPDATE, NewsUpdate),
        (FactKind.POSITION, Position),
        (FactKind.EXCHANGE, Exchange),
        (FactKind.ROUND, TalkRound),
    ):
        n = await session.exec(
            select(func.count()).select_from(model).where(col(model.retracted_at).is_(None))
        )
        counts[kind] = int(n.one())
    return counts
