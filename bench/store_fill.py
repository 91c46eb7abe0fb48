"""A large synthetic store for benchmarks, written fast with Core bulk inserts in 5k-row chunks.

The facts are generated, not real, but shaped like the curated store: a few parties and issues,
stances that supersede each other, updates and exchanges spread over about three years, sources
and citations for most facts, and one search_doc row per live fact (the FTS5 triggers index it).
Vocabulary follows a Zipf-like spread, so /search meets both very common and very rare words.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import SQLModel

import kinds.registry  # noqa: F401  (registers every table in SQLModel.metadata)

CHUNK_ROWS = 5000
YEARS = 3

Row = dict[str, Any]


def table(name: str) -> Table:
    """The Core table of one of the store's models."""
    return SQLModel.metadata.tables[name]


@dataclass(frozen=True, slots=True)
class Sizes:
    """How many rows of each kind to generate."""

    updates: int
    positions: int
    exchanges: int
    rounds: int
    sources: int

    @classmethod
    def at_scale(cls, scale: float) -> Sizes:
        """The full-size store (100k updates, 2k positions, 10k exchanges, 500 rounds) × scale."""
        return cls(
            updates=max(50, round(100_000 * scale)),
            positions=max(20, round(2_000 * scale)),
            exchanges=max(10, round(10_000 * scale)),
            rounds=max(5, round(500 * scale)),
            sources=max(30, round(6_000 * scale)),
        )


@dataclass
class FillReport:
    """Rows written per table and how long each table took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    generate_seconds: float = 0.0
    total_seconds: float = 0.0

    def summary(self) -> str:
        """One line per table: rows, seconds, rows/s."""
        lines = [f"  {'(generate)':<15} {'':>8}       {self.generate_seconds:6.2f} s"]
        for name, n in self.rows.items():
            secs = self.seconds.get(name, 0.0)
            rate = n / secs if secs > 0 else 0.0
            lines.append(f"  {name:<15} {n:>8,} rows  {secs:6.2f} s  {rate:>9,.0f} rows/s")
        lines.append(
            f"  {'total':<15} {sum(self.rows.values()):>8,} rows  {self.total_seconds:6.2f} s"
        )
        return "\n".join(lines)


# ------------------------------------------------------------------------------- vocabulary

PARTIES: tuple[tuple[str, str, str], ...] = (
    ("ukraine", "Ukraine", "ukraine, kyiv, kiev, ukrainian, ukrainians, ua"),
    ("russia", "Russia", "russia, moscow, kremlin, russian, russians, russian federation, ru"),
    ("united-states", "United States", "us, u.s., usa, united states, america, washington"),
    ("turkey", "Turkey", "turkey, turkiye, türkiye, turkish, ankara"),
    ("european-union", "European Union", "eu, european union, brussels, europe"),
    ("united-kingdom", "United Kingdom", "uk, britain, united kingdom, london, british"),
    ("france", "France", "france, paris, french, elysee"),
    ("germany", "Germany", "germany, berlin, german"),
    ("china", "China", "china, beijing, chinese"),
    ("saudi-arabia", "Saudi Arabia", "saudi arabia, riyadh, saudi, jeddah"),
)

ISSUES: tuple[tuple[str, str, str], ...] = (
    ("ceasefire", "Ceasefire", "ceasefire, cease-fire, truce, armistice"),
    ("territory", "Territory", "territory, land, regions, occupied territory, front line"),
    ("nato", "NATO and neutrality", "nato, neutrality, neutral, alliance, membership"),
    ("military-limits", "Limits on Ukraine's military", "military limits, army size, military"),
    ("sanctions", "Sanctions", "sanctions, sanction, penalties"),
    ("reparations", "Reparations", "reparations, compensation, damages"),
    ("deported-children", "Deported children", "deported children, children, deportation"),
    ("leaders-meeting", "Meeting of the presidents", "leaders meeting, summit, presidents"),
    ("recognition", "Recognition of occupied territory", "recognition, sovereignty, annexation"),
    ("prisoners", "Prisoners and exchanges", "prisoners, prisoner exchange, swap, pows"),
    ("mediation", "Mediation and the US role", "mediation, mediator, us role, broker"),
    ("peace-terms", "Overall peace terms", "peace terms, terms, peace deal, memorandum, draft"),
    ("security-guarantees", "Security guarantees", "security guarantees, guarantees, backstop"),
    ("energy", "Strikes on energy infrastructure", "energy, power plants, grid, refineries"),
    ("nuclear-plant", "Zaporizhzhia nuclear plant", "nuclear plant, zaporizhzhia, znpp, reactor"),
    ("black-sea", "Black Sea shipping", "black sea, shipping, grain corridor, ports"),
    ("frozen-assets", "Frozen Russian assets", "frozen assets, assets, central bank reserves"),
    ("elections", "Elections in Ukraine", "elections, election, vote, martial law"),
    ("humanitarian", "Humanitarian access", "humanitarian, aid, evacuation, corridors"),
    ("reconstruction", "Reconstruction", "reconstruction, rebuilding, recovery fund"),
)

CITIES = (
    "Istanbul", "Geneva", "Riyadh", "Jeddah", "Doha", "Abu Dhabi", "Ankara", "Kyiv", "Moscow",
    "Washington", "Brussels", "Paris", "London", "Berlin", "Beijing", "Budapest", "Helsinki",
    "Vienna", "Oslo", "Copenhagen", "Rome", "Vatican City", "Minsk", "Warsaw", "Bucharest",
    "Chisinau", "Vilnius", "Tallinn", "Riga", "Prague", "Bratislava", "Muscat", "New York",
    "Miami", "Alaska", "Anchorage", "Sochi", "Odesa", "Kharkiv", "Dnipro", "Zaporizhzhia",
    "Kherson", "Mykolaiv", "Sumy", "Chernihiv", "Lviv", "Belgorod", "Kursk", "Donetsk",
)  # fmt: skip
VENUES = (
    "Ciragan Palace", "Dolmabahce Palace", "Diriyah Palace", "the Ritz-Carlton", "the foreign "
    "ministry", "the presidential office", "a government guesthouse", "the embassy",
    "the UN headquarters", "the Intercontinental hotel", "a conference centre",
)  # fmt: skip
PUBLISHERS = (
    "Reuters", "Associated Press", "AFP", "BBC", "Kyiv Independent", "Ukrainska Pravda",
    "Interfax", "TASS", "Meduza", "RFE/RL", "Al Jazeera", "The Guardian", "New York Times",
    "Wall Street Journal", "Financial Times", "Bloomberg", "Politico", "Deutsche Welle",
    "Le Monde", "Anadolu", "Ukrinform", "Novaya Gazeta Europe", "The Economist", "CNN",
)  # fmt: skip
ROLES = (
    "Foreign Minister", "Defence Minister", "presidential adviser", "chief of staff",
    "spokesperson", "special envoy", "deputy foreign minister", "ombudsman", "negotiator",
    "security council secretary", "intelligence chief", "ambassador", "senator",
)  # fmt: skip
TAGS = (
    "talks", "ceasefire", "prisoners", "exchange", "territory", "sanctions", "energy",
    "drones", "missiles", "diplomacy", "mediation", "humanitarian", "children", "nato",
    "eu", "us", "russia", "ukraine", "turkey", "front line", "economy", "grain", "black sea",
    "nuclear", "summit", "military", "aid", "security", "elections", "reconstruction",
)  # fmt: skip
CATEGORIES = (
    "severely wounded", "young people", "civilians", "bodies of the fallen", "soldiers",
    "national guard", "border guards", "medics", "journalists", "children", "women",
    "defenders of Mariupol", "the seriously ill", "conscripts under 25",
)  # fmt: skip
MEDIATORS = (
    "Turkey", "United Arab Emirates", "Qatar", "Saudi Arabia", "the Vatican",
    "the International Committee of the Red Cross", "the United States", None, None, None,
)  # fmt: skip
RETRACTION_REASONS = ("duplicate report", "the source withdrew the story", "wrong date")

# Topic words in rough order of frequency; the first ones end up in a large share of facts.
TOPIC_WORDS = (
    "ceasefire", "talks", "peace", "delegation", "officials", "negotiations", "agreement",
    "proposal", "draft", "prisoners", "exchange", "sanctions", "territory", "security",
    "guarantees", "memorandum", "drones", "strikes", "energy", "infrastructure", "front", "line",
    "troops", "withdrawal", "neutrality", "alliance", "summit", "meeting", "mediators", "envoys",
    "humanitarian", "corridor", "evacuation", "civilians", "shelling", "missiles", "frontline",
    "occupation", "referendum", "reparations", "compensation", "assets", "reserves", "grain",
    "shipping", "ports", "corridor", "reactor", "inspectors", "monitoring", "verification",
    "observers", "peacekeepers", "buffer", "zone", "demilitarised", "moratorium", "truce",
    "armistice", "roadmap", "framework", "communique", "declaration", "statement", "ultimatum",
    "concession", "compromise", "deadline", "timetable", "phase", "stage", "reconstruction",
    "donors", "pledges", "loans", "tranche", "budget", "elections", "martial", "law", "referendum",
    "deportation", "children", "families", "repatriation", "identification", "bodies", "remains",
    "wounded", "medics", "journalists", "hostages", "detainees", "captives", "convoy",
    "checkpoint", "crossing", "bridge", "railway", "refinery", "substation", "pipeline", "tanker",
    "fleet", "naval", "mines", "minesweeping", "blockade", "embargo", "tariffs", "oil", "gas",
    "exports", "imports", "price", "cap", "insurers", "bank", "swift", "payments", "settlement",
    "sovereignty", "recognition", "annexation", "constitution", "amnesty", "tribunal",
    "accountability", "investigators", "evidence", "war", "crimes", "genocide", "warrant", "court",
)  # fmt: skip
VERBS = (
    "rejects", "backs", "proposes", "demands", "signals", "discusses", "agrees", "delays",
    "welcomes", "criticises", "offers", "insists on", "warns against", "calls for",
    "questions", "confirms", "denies", "postpones", "resumes", "suspends", "outlines",
    "hints at", "pushes for", "dismisses", "presents", "accepts", "weighs", "drafts",
)  # fmt: skip
FILLERS = (
    "according to officials", "people familiar with the matter said", "in a statement",
    "on Telegram", "at a press conference", "after a phone call", "late on Sunday",
    "early on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "on Saturday",
    "in an interview", "behind closed doors", "for the first time", "once again",
    "without giving details", "citing diplomatic sources", "in a televised address",
)  # fmt: skip
ADJECTIVES = (
    "new", "fresh", "revised", "partial", "full", "unconditional", "temporary", "lasting",
    "limited", "broad", "tentative", "final", "preliminary", "comprehensive", "fragile",
    "30-day", "Easter", "energy", "maritime", "air", "humanitarian", "technical",
)  # fmt: skip

# A rare word that the generator plants in a handful of updates, for "/search <rare word>".
RARE_WORD = "Kinburn"
RARE_PHRASE = "near the Kinburn Spit"
RARE_COUNT_AT_FULL_SCALE = 12

_SYLLABLES_A = (
    "Kov", "Shev", "Bon", "Hry", "Tymo", "Mel", "Pet", "Zel", "Lav", "Med", "Pesk", "Ush",
    "Yer", "Bud", "Kul", "Syr", "Rub", "Umer", "Fid", "Wit", "Kel", "Rut", "Dmit", "Sol",
    "Naz", "Ost", "Hal", "Vol", "Tar", "Kry", "Bor", "Dan", "Hor", "Lys", "Mak", "Sav",
    "Yak", "Zin", "Chor", "Fed",
)  # fmt: skip
_SYLLABLES_B = ("a", "o", "e", "i", "y", "")
_SYLLABLES_C = (
    "nko", "chuk", "ov", "ev", "in", "sky", "ski", "enko", "yuk", "ak", "ich", "man",
    "son", "er", "ova", "eva", "ura", "ash",
)  # fmt: skip
_FIRST_NAMES = (
    "Andriy", "Rustem", "Sergei", "Vladimir", "Dmitry", "Oleksandr", "Kyrylo", "Yulia",
    "Olena", "Marco", "Steve", "Keith", "Hakan", "Emmanuel", "Friedrich", "Ursula",
    "Kaja", "Mark", "Antonio", "Wang", "Faisal", "Mohammed", "Igor", "Mykhailo",
    "Denys", "Iryna", "Tetiana", "Petro", "Viktor", "Pavlo", "Maria", "Anna",
)  # fmt: skip


class Zipf:
    """Draws items with weight 1/rank^s: a few very common, a long tail of rare ones."""

    def __init__(self, items: Sequence[str], s: float = 1.07) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(1.0 / (r**s) for r in range(1, len(items) + 1)))
        self._pool: list[str] = []

    def draw(self, rng: random.Random, k: int = 1) -> list[str]:
        """Draw k items (with replacement); drawn in bulk, since choices() costs per call."""
        if len(self._pool) < k:
            self._pool = rng.choices(self.items, cum_weights=self.cum, k=65536)
        out = self._pool[-k:]
        del self._pool[-k:]
        return out

    def pair(self, rng: random.Random) -> tuple[str, str]:
        """Two different items."""
        a, b = self.draw(rng, 2)
        while b == a and len(self.items) > 1:
            b = self.draw(rng)[0]
        return a, b


class TextMaker:
    """Generates headlines, summaries, stances and people with realistic word spreads."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        surnames = [a + b + c for a in _SYLLABLES_A for b in _SYLLABLES_B for c in _SYLLABLES_C]
        rng.shuffle(surnames)
        self.surnames = Zipf(surnames, s=1.0)
        self.topics = Zipf(TOPIC_WORDS, s=0.9)
        self.cities = Zipf(CITIES, s=1.0)
        self.parties = Zipf([p[1] for p in PARTIES], s=0.8)
        self.issue_words = Zipf([i[1] for i in ISSUES], s=1.0)

    def person(self) -> str:
        """A first name, surname and role, e.g. 'Andriy Kovenko, Foreign Minister'."""
        rng = self.rng
        return f"{rng.choice(_FIRST_NAMES)} {self.surnames.draw(rng)[0]}, {rng.choice(ROLES)}"

    def headline(self) -> str:
        """A news headline."""
        rng = self.rng
        p1, p2 = self.parties.pair(rng)
        topic, topic2 = self.topics.draw(rng, 2)
        verb = rng.choice(VERBS)
        adj = rng.choice(ADJECTIVES)
        k = rng.randrange(8)
        if k == 0:
            return f"{p1} {verb} {adj} {topic} plan ahead of {self.cities.draw(rng)[0]} talks"
        if k == 1:
            return f"{self.surnames.draw(rng)[0]} says {p1} and {p2} close to {adj} {topic} deal"
        if k == 2:
            return f"{p1} {verb} {p2} {topic} proposal as {topic2} dispute drags on"
        if k == 3:
            return f"Talks in {self.cities.draw(rng)[0]}: {p1} {verb} {topic} and {topic2}"
        if k == 4:
            city = self.cities.draw(rng)[0]
            return f"{p1} and {p2} trade accusations over {topic} after {city} meeting"
        if k == 5:
            city = self.cities.draw(rng)[0]
            return f"{adj.capitalize()} {topic} round opens in {city} with {p2} mediating"
        if k == 6:
            surname = self.surnames.draw(rng)[0]
            return f"{surname}: {topic} must come before {topic2}, {p1} insists"
        return f"{p2} {verb} {adj} {topic} terms; {p1} silent"

    def sentence(self) -> str:
        """One sentence of a summary."""
        rng = self.rng
        p1, p2 = self.parties.pair(rng)
        t1, t2, t3 = self.topics.draw(rng, 3)
        k = rng.randrange(8)
        if k == 0:
            return f"{self.person()} said {p1} was ready to discuss {t1} and {t2} " + (
                rng.choice(FILLERS) + "."
            )
        if k == 1:
            adj, filler = rng.choice(ADJECTIVES), rng.choice(FILLERS)
            return f"The {adj} {t1} proposal, {filler}, also covers {t2}."
        if k == 2:
            return f"{p2} {rng.choice(VERBS)} the {t1} plan and wants {t2} settled before any {t3}."
        if k == 3:
            city, hours, n = self.cities.draw(rng)[0], rng.randint(1, 9), rng.randint(2, 1200)
            return f"Delegations met in {city} for {hours} hours and agreed on {n} {t1}."
        if k == 4:
            city, filler = self.cities.draw(rng)[0], rng.choice(FILLERS)
            return f"Officials in {city} gave no timetable for {t1}, {filler}."
        if k == 5:
            n = rng.randint(2, 1200)
            return f"{p1} accused {p2} of breaking the {t1} understanding with {n} {t2} overnight."
        if k == 6:
            return f"Mediators from {p2} shuttled between the sides on {t1}, {t2} and {t3}."
        adj = rng.choice(ADJECTIVES)
        return f"{self.person()} called the {t1} talks {adj} but {t2} unresolved."

    def summary(self, sentences: int) -> str:
        """A summary of a few sentences."""
        return " ".join(self.sentence() for _ in range(sentences))

    def stance(self, party: str, issue: str) -> str:
        """A party's stance on an issue."""
        rng = self.rng
        t1, t2 = self.topics.draw(rng, 2)
        verb = rng.choice(("insists on", "is open to", "rejects", "demands", "will consider"))
        cond = rng.choice(
            (
                f"only if {t1} is agreed first",
                f"as part of a wider deal on {t1}",
                f"but not before {t2} is verified",
                "without preconditions",
                f"provided {self.parties.draw(rng)[0]} guarantees it",
                "",
            )
        )
        return f"{party} {verb} {rng.choice(ADJECTIVES)} {issue.lower()} terms {cond}".strip() + (
            f". {self.sentence()}" if rng.random() < 0.5 else "."
        )


# ------------------------------------------------------------------------------- generation


def _stamp(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(6, 22), rng.randint(0, 59)), tzinfo=dt.UTC)


def _days(rng: random.Random, n: int, start: dt.date, end: dt.date) -> list[dt.date]:
    """n dates between start and end, somewhat denser towards the end, sorted."""
    span = (end - start).days
    out = [start + dt.timedelta(days=round(span * (rng.random() ** 0.8))) for _ in range(n)]
    out.sort()
    return out


@dataclass
class Generated:
    """Everything generated, as rows per table plus search documents."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    docs: list[tuple[dt.date, str, int, str]] = field(default_factory=list)


class StoreGenerator:
    """Builds the rows of a whole store deterministically from a seed."""

    def __init__(self, sizes: Sizes, *, seed: int = 20251127, end: dt.date | None = None) -> None:
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.text = TextMaker(self.rng)
        self.end = end or (dt.date.today() - dt.timedelta(days=1))
        self.start = self.end - dt.timedelta(days=365 * YEARS)
        self.source_dates: list[dt.date] = []
        self.round_dates: list[dt.date] = []
        self.citation_rows: list[Row] = []

    def cite(self, kind: str, fact_id: int, day: dt.date, share: float) -> None:
        """With probability `share`, cite 1–3 sources published within a week of `day`."""
        rng = self.rng
        if rng.random() >= share or not self.source_dates:
            return
        k = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
        lo = bisect.bisect_left(self.source_dates, day - dt.timedelta(days=7))
        hi = bisect.bisect_right(self.source_dates, day + dt.timedelta(days=7))
        if hi - lo < k:
            lo, hi = max(0, lo - 10), min(len(self.source_dates), hi + 10)
        for index in rng.sample(range(lo, hi), min(k, hi - lo)):
            self.citation_rows.append(
                {"fact_kind": kind, "fact_id": fact_id, "source_id": index + 1}
            )

    def generate(self) -> Generated:
        """Generate every table's rows and the search documents."""
        out = Generated()
        out.rows["party"] = [
            {"id": n, "key": k, "name": name, "aliases": aliases}
            for n, (k, name, aliases) in enumerate(PARTIES, 1)
        ]
        out.rows["issue"] = [
            {"id": n, "key": k, "name": name, "aliases": aliases}
            for n, (k, name, aliases) in enumerate(ISSUES, 1)
        ]
        out.rows["source"] = self._sources()
        docs_rounds: list[tuple[dt.date, str, int, str]] = []
        out.rows["talk_round"] = self._rounds(docs_rounds)
        docs_updates: list[tuple[dt.date, str, int, str]] = []
        out.rows["news_update"] = self._updates(docs_updates)
        docs_exchanges: list[tuple[dt.date, str, int, str]] = []
        out.rows["exchange"], out.rows["exchange_count"] = self._exchanges(docs_exchanges)
        docs_positions: list[tuple[dt.date, str, int, str]] = []
        out.rows["position"] = self._positions(docs_positions)
        out.rows["citation"] = self.citation_rows
        # search_doc ids follow creation order, i.e. roughly the facts' dates, all kinds mixed.
        out.docs = list(heapq.merge(docs_rounds, docs_updates, docs_exchanges, docs_positions))
        return out

    def _sources(self) -> list[Row]:
        rng = self.rng
        self.source_dates = _days(rng, self.sizes.sources, self.start, self.end)
        rows = []
        for n, day in enumerate(self.source_dates, 1):
            publisher = rng.choice(PUBLISHERS)
            slug = publisher.lower().replace(" ", "-").replace("/", "-")
            url = (
                f"https://news.example/{slug}/{day.isoformat()}/{n}"
                if rng.random() < 0.85
                else None
            )
            rows.append(
                {
                    "id": n,
                    "key": f"src-{n}",
                    "name": publisher,
                    "title": self.text.headline(),
                    "url": url,
                    "published": day,
                }
            )
        return rows

    def _rounds(self, docs: list[tuple[dt.date, str, int, str]]) -> list[Row]:
        rng, text = self.rng, self.text
        self.round_dates = _days(rng, self.sizes.rounds, self.start, self.end)
        rows = []
        for n, day in enumerate(self.round_dates, 1):
            place = text.cities.draw(rng)[0]
            venue = rng.choice(VENUES) if rng.random() < 0.7 else None
            mediator = rng.choice(MEDIATORS)
            sides = rng.sample(PARTIES[:4], 2) if rng.random() < 0.8 else rng.sample(PARTIES, 3)
            delegations = [
                (name, text.person() if rng.random() < 0.8 else None) for _, name, _ in sides
            ]
            minutes = rng.choice((45, 60, 90, 120, 180, 240, 360))
            duration = f"{minutes // 60} hours" if minutes >= 120 else f"{minutes} minutes"
            title = f"Round {n} of talks in {place}"
            outcome = text.summary(rng.randint(1, 3))
            row = {
                "id": n,
                "key": f"round-{n}",
                "created_at": _stamp(day, rng),
                "date": day,
                "end_date": day + dt.timedelta(days=rng.randint(1, 2))
                if rng.random() < 0.2
                else None,
                "title": title,
                "place": place,
                "venue": venue,
                "mediator": mediator,
                "delegations": json.dumps([{"party": p, "head": h} for p, h in delegations]),
                "duration": duration,
                "duration_minutes": minutes,
                "outcome": outcome,
            }
            rows.append(_fact_row(row))
            self.cite("round", n, day, 0.95)
            heads = " ".join(f"{p} {h or ''}" for p, h in delegations)
            body = " ".join(
                filter(
                    None, [title, "talks round", place, venue, mediator, heads, duration, outcome]
                )
            )
            docs.append((day, "round", n, body))
        return rows

    def _near_round(self, day: dt.date) -> int | None:
        index = bisect.bisect_right(self.round_dates, day)
        return index if index > 0 else None  # round ids are 1-based positions in round_dates

    def _updates(self, docs: list[tuple[dt.date, str, int, str]]) -> list[Row]:
        rng, text = self.rng, self.text
        days = _days(rng, self.sizes.updates, self.start, self.end)
        rare_every = max(1, len(days) // max(3, round(RARE_COUNT_AT_FULL_SCALE * self._scale())))
        rows = []
        for n, day in enumerate(days, 1):
            headline = text.headline()
            summary = text.summary(rng.randint(1, 3))
            if n % rare_every == rare_every // 2:
                summary += f" Fighting was also reported {RARE_PHRASE}."
            tags = list(dict.fromkeys(rng.sample(TAGS, rng.randint(2, 4))))
            created = _stamp(day, rng)
            retracted = rng.random() < 0.01
            row = {
                "id": n,
                "key": f"update-{n}",
                "created_at": created,
                "retracted_at": created + dt.timedelta(days=1) if retracted else None,
                "retraction_reason": rng.choice(RETRACTION_REASONS) if retracted else None,
                "date": day,
                "headline": headline,
                "summary": summary,
                "tags": ", ".join(tags),
                "round_id": self._near_round(day) if rng.random() < 0.08 else None,
            }
            rows.append(_fact_row(row))
            self.cite("update", n, day, 0.75)
            if not retracted:
                docs.append((day, "update", n, " ".join([headline, summary, " ".join(tags)])))
        return rows

    def _scale(self) -> float:
        return self.sizes.updates / 100_000

    def _exchanges(self, docs: list[tuple[dt.date, str, int, str]]) -> tuple[list[Row], list[Row]]:
        rng, text = self.rng, self.text
        days = _days(rng, self.sizes.exchanges, self.start, self.end)
        rows: list[Row] = []
        counts: list[Row] = []
        for n, day in enumerate(days, 1):
            status = "agreed" if rng.random() < 0.08 else "completed"
            categories = rng.sample(CATEGORIES, rng.randint(0, 3))
            mediator = rng.choice(MEDIATORS)
            note = text.sentence() if rng.random() < 0.4 else None
            created = _stamp(day, rng)
            retracted = rng.random() < 0.005
            row = {
                "id": n,
                "key": f"exchange-{n}",
                "created_at": created,
                "retracted_at": created + dt.timedelta(days=2) if retracted else None,
                "retraction_reason": rng.choice(RETRACTION_REASONS) if retracted else None,
                "date": day,
                "end_date": day + dt.timedelta(days=1) if rng.random() < 0.1 else None,
                "categories": ", ".join(categories),
                "mediator": mediator,
                "status": status,
                "round_id": self._near_round(day) if rng.random() < 0.15 else None,
                "note": note,
            }
            rows.append(_fact_row(row))
            sides = (1, 2) if rng.random() < 0.9 else tuple(rng.sample(range(1, 11), 2))
            same = rng.randint(10, 400)
            for party_id in sides:
                returned = None if rng.random() < 0.1 else max(1, same + rng.randint(-20, 20))
                counts.append({"exchange_id": n, "party_id": party_id, "returned": returned})
            self.cite("exchange", n, day, 0.8)
            if not retracted:
                names = " ".join(PARTIES[p - 1][1] for p in sides)
                body = " ".join(
                    filter(
                        None,
                        ["prisoner exchange swap", status, names, *categories, mediator, note],
                    )
                )
                docs.append((day, "exchange", n, body))
        return rows, counts

    def _positions(self, docs: list[tuple[dt.date, str, int, str]]) -> list[Row]:
        rng, text = self.rng, self.text
        pairs = [(p, i) for i in range(len(ISSUES)) for p in range(len(PARTIES))]
        pairs = pairs[: min(len(pairs), self.sizes.positions)]
        # Each pair gets one stance, the rest are spread at random: chains of varied length.
        lengths = [1] * len(pairs)
        for _ in range(self.sizes.positions - len(pairs)):
            lengths[rng.randrange(len(pairs))] += 1
        drafts: list[tuple[dt.date, int, int, int]] = []  # (as_of, party, issue, chain position)
        for (p, i), length in zip(pairs, lengths, strict=True):
            for step, day in enumerate(_days(rng, length, self.start, self.end)):
                drafts.append((day, p, i, step))
        drafts.sort()
        # Ids follow as_of (stances are recorded as they are taken); chain each pair by date.
        last_of_pair: dict[tuple[int, int], Row] = {}
        rows: list[Row] = []
        for n, (day, p, i, _) in enumerate(drafts, 1):
            _, party_name, party_aliases = PARTIES[p]
            _, issue_name, issue_aliases = ISSUES[i]
            stance = text.stance(party_name, issue_name)
            row = _fact_row(
                {
                    "id": n,
                    "key": f"position-{n}",
                    "created_at": _stamp(day, rng),
                    "party_id": p + 1,
                    "issue_id": i + 1,
                    "stance": stance,
                    "as_of": day,
                    "superseded_by_id": None,
                }
            )
            previous = last_of_pair.get((p, i))
            if previous is not None:
                previous["superseded_by_id"] = n
            last_of_pair[(p, i)] = row
            rows.append(row)
            self.cite("position", n, day, 0.9)
            body = " ".join([party_name, party_aliases, issue_name, issue_aliases, stance])
            docs.append((day, "position", n, body))
        # Newest first, so every superseded_by_id points at a row already inserted (FKs are on).
        rows.reverse()
        return rows


def _fact_row(row: Row) -> Row:
    """Fill the FactBase columns every fact table has."""
    row.setdefault("retracted_at", None)
    row.setdefault("retraction_reason", None)
    row["updated_at"] = row["created_at"]
    return row


def _chunks(rows: Iterable[Row], size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
    it = iter(rows)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


async def _insert(
    conn: AsyncConnection, name: str, rows: Iterable[Row], report: FillReport
) -> None:
    started = time.perf_counter()
    n = 0
    for chunk in _chunks(rows):
        await conn.execute(insert(table(name)), chunk)
        n += len(chunk)
    report.rows[name] = n
    report.seconds[name] = time.perf_counter() - started


async def store_is_filled(engine: AsyncEngine) -> bool:
    """True when the store already holds news updates (a previous run filled it)."""
    async with engine.connect() as conn:
        n = (await conn.execute(select(func.count()).select_from(table("news_update")))).scalar()
    return bool(n)


async def fill_store(engine: AsyncEngine, sizes: Sizes, *, seed: int = 20251127) -> FillReport:
    """Generate a store of the given sizes and write it in one transaction, 5k rows a chunk."""
    report = FillReport()
    started = time.perf_counter()
    generated = StoreGenerator(sizes, seed=seed).generate()
    report.generate_seconds = time.perf_counter() - started
    async with engine.begin() as conn:
        for name in (
            "party",
            "issue",
            "source",
            "talk_round",
            "news_update",
            "exchange",
            "exchange_count",
            "position",
            "citation",
        ):
            await _insert(conn, name, generated.rows.pop(name), report)
        docs = (
            {"fact_kind": kind, "fact_id": fact_id, "fact_date": day, "body": body}
            for day, kind, fact_id, body in generated.docs
        )
        await _insert(conn, "search_doc", docs, report)
    report.total_seconds = time.perf_counter() - started
    return report
