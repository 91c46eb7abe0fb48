"""Charts: /exchanges chart and /rounds chart as photos, checked from the data they were drawn
from; the PNG decoded; drawn once per distinct data; the file_id reused by every replica.

Runs on SQLite and, with TEST_POSTGRES_URL, on PostgreSQL, through the real Application and the
strict fake Bot API (sendPhoto checks the image and accepts only file ids it gave out).
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image
from sqlmodel import select

import render.charts as drawing
from bot.app import build_application, running
from core.i18n import using_language
from fake_telegram import LocalBotApi, LocalRequest, SentMessage
from kinds.charts import (
    AgreedMark,
    ExchangeChart,
    RoundMark,
    RoundsChart,
    SideSeries,
    exchange_chart,
    rounds_chart,
)
from services import charts as chart_service
from store.db import SessionFactory
from store.models import ChartFile, Party
from tests import factories
from tests.conftest import Harness, make_settings, start_harness

CHAT = 7001
ZEROS = (0,) * 12


def months(**values: int) -> tuple[int, ...]:
    """Twelve monthly figures from e.g. may=697, jun=1200."""
    names = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    return tuple(values.get(n, 0) for n in names)


async def arrange(sessions: SessionFactory) -> None:
    """Exchanges of 2025 (completed, agreed, retracted) and 2024, and three rounds of talks."""
    async with sessions() as session:
        ru, ua = Party(key="ru", name="Russia"), Party(key="ua", name="Ukraine")
        session.add_all([ru, ua])
        await session.flush()

        async def exchange(day: dt.date, n: int | None, status: str = "completed") -> Any:
            return await factories.create_exchange(
                session, date=day, returned=[(ua, n), (ru, n)], status=status
            )

        await exchange(dt.date(2025, 5, 23), 390)
        await exchange(dt.date(2025, 5, 24), 307)
        await exchange(dt.date(2025, 6, 9), None)  # numbers not announced
        await exchange(dt.date(2025, 6, 2), None, "agreed")
        await exchange(dt.date(2025, 7, 1), 1200, "agreed")
        gone = await exchange(dt.date(2025, 8, 14), 84)
        gone.retracted_at = dt.datetime(2025, 8, 15, tzinfo=dt.UTC)
        session.add(gone)
        await exchange(dt.date(2024, 12, 30), 150)
        await factories.create_round(
            session, date=dt.date(2025, 5, 16), place="Istanbul", title="First round"
        )
        await factories.create_round(
            session,
            date=dt.date(2025, 6, 2),
            place="Istanbul",
            title="Second round",
            end_date=dt.date(2025, 6, 3),
        )
        await factories.create_round(
            session, date=dt.date(2025, 7, 23), place="Istanbul", title="Third round"
        )
        await session.commit()


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    """The unseeded bot on a store holding the arranged exchanges and rounds."""
    chart_service.clear_cache()
    async for harness in start_harness(make_settings(database_url, seed_on_empty=False)):
        await arrange(harness.sessions)
        yield harness
        assert harness.errors == [], harness.errors


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every chart drawn, by the data it was drawn from."""
    drawn: list[Any] = []
    for name in ("draw_exchanges", "draw_rounds"):
        real = getattr(drawing, name)

        def counted(data: Any, real: Any = real) -> bytes:
            drawn.append(data)
            png: bytes = real(data)
            return png

        monkeypatch.setattr(drawing, name, counted)
    return drawn


def png_size(message: SentMessage) -> tuple[int, int]:
    """Decode the photo the fake received and return its size."""
    assert message.method == "sendPhoto" and message.photo is not None
    with Image.open(io.BytesIO(message.photo)) as image:
        assert image.format == "PNG"
        image.load()
        return image.size


EXPECTED_2025 = ExchangeChart(
    year=2025,
    sides=(
        # The 9 June exchange announced no numbers: 697 is a floor for both sides.
        SideSeries("Russia", months(may=697, jun=0), living_announced=False),
        SideSeries("Ukraine", months(may=697, jun=0), living_announced=False),
    ),
    completed=3,
    agreed=(AgreedMark(dt.date(2025, 6, 2), None), AgreedMark(dt.date(2025, 7, 1), 2400)),
    bodies_recorded=True,
)


async def test_the_exchanges_chart_data_counts_live_exchanges_per_month_and_side(
    bot: Harness,
) -> None:
    async with bot.sessions() as session:
        data = await exchange_chart(session, year=2025)
        earlier = await exchange_chart(session, year=2024)
        rounds = await rounds_chart(session)
    assert data == EXPECTED_2025
    assert [s.living_total for s in data.sides] == [697, 697]
    assert [s.bodies for s in data.sides] == [ZEROS, ZEROS] and data.bodies_recorded
    assert earlier.sides == (
        SideSeries("Russia", months(dec=150)),
        SideSeries("Ukraine", months(dec=150)),
    )
    assert (earlier.completed, earlier.agreed) == (1, ())
    assert [(r.date, r.end_date, r.title) for r in rounds.rounds] == [
        (dt.date(2025, 5, 16), None, "First round"),
        (dt.date(2025, 6, 2), dt.date(2025, 6, 3), "Second round"),
        (dt.date(2025, 7, 23), None, "Third round"),
    ]


async def test_exchanges_chart_is_a_png_with_its_totals_in_words(
    bot: Harness, draws: list[Any]
) -> None:
    chat = bot.chat(CHAT)
    photo = await chat.ask("/exchanges chart")
    assert draws == [EXPECTED_2025]  # the latest year with exchanges, drawn from this data
    assert png_size(photo) == (1200, 675)
    assert photo.plain.splitlines() == [
        "📊 Prisoner exchanges in 2025",
        "3 completed exchanges returned at least 697 people to Russia; "
        "at least 697 people to Ukraine.",
        "No bodies returned in these exchanges.",
        "⏳ 2 agreed, not yet carried out: Mon 2 Jun 2025 (numbers not announced); "
        "Tue 1 Jul 2025 (2,400 people).",
    ]
    older = await chat.ask("/exchanges chart 2024")
    assert draws[-1].year == 2024 and png_size(older) == (1200, 675)
    assert "1 completed exchange returned 150 people to Russia; 150 people to Ukraine." in (
        older.plain
    )
    for bad in ("/exchanges chart 12", "/exchanges chart next", "/exchanges chart 99999"):
        answer = await chat.ask(bad)
        assert answer.method == "sendMessage"
        assert "Usage: /exchanges chart [YEAR], e.g. /exchanges chart 2025" in answer.plain
    none = await chat.ask("/exchanges chart 2019")
    assert none.plain == "No prisoner exchanges on file for 2019."
    assert len(draws) == 2
    # The button under one year's list charts that year, not the latest one.
    [pressed] = await chat.press(await chat.ask("/exchanges 2024"), "📊 Chart")
    assert pressed.photo == older.photo and pressed.plain == older.plain


async def test_same_data_is_drawn_once_and_sent_again_by_file_id(
    bot: Harness, draws: list[Any]
) -> None:
    chat = bot.chat(CHAT)
    first = await chat.ask("/exchanges chart")
    request = bot.api.calls[-1]
    assert request[0] == "sendPhoto" and not isinstance(request[1].get("photo"), str)  # upload
    async with bot.sessions() as session:
        stored = (await session.exec(select(ChartFile))).all()
    assert len(stored) == 1
    [row] = stored
    second = await chat.ask("/exchanges chart")
    assert len(draws) == 1, "the same data was drawn twice"
    assert second.params["photo"] == row.file_id  # no upload: Telegram's file_id
    assert second.photo == first.photo and second.plain == first.plain

    # The button under /exchanges sends the same chart, also by file_id.
    listing = await chat.ask("/exchanges")
    assert ["📊 Chart"] in [[label for label, _ in r] for r in listing.buttons]
    [pressed] = await chat.press(listing, "📊 Chart")
    assert pressed.params["photo"] == row.file_id and len(draws) == 1
    assert bot.api.callback_answers[-1].text is None

    # New data, new chart: a correction changes the key, so it is drawn and uploaded again.
    async with bot.sessions() as session:
        ukraine = (await session.exec(select(Party).where(Party.key == "ua"))).one()
        await factories.create_exchange(
            session, date=dt.date(2025, 9, 5), returned=[(ukraine, 146)], status="completed"
        )
        await session.commit()
    third = await chat.ask("/exchanges chart")
    assert len(draws) == 2 and draws[-1].sides[1].living[8] == 146
    assert not isinstance(bot.api.calls[-1][1].get("photo"), str)
    assert (
        "4 completed exchanges returned at least 697 people to Russia; "
        "at least 843 people to Ukraine."
    ) in third.plain


async def test_a_second_replica_sends_the_stored_file_id_without_drawing(
    bot: Harness, draws: list[Any], database_url: str
) -> None:
    await bot.chat(CHAT).ask("/rounds chart")
    assert len(draws) == 1 and isinstance(draws[0], RoundsChart)
    async with bot.sessions() as session:
        [row] = (await session.exec(select(ChartFile))).all()
    chart_service.clear_cache()  # another process: nothing drawn there yet
    settings = make_settings(database_url, seed_on_empty=False)
    app = build_application(settings, request=LocalRequest(bot.api))
    async with running(app):
        other = Harness(app=app, api=bot.api)
        photo = await other.chat(CHAT + 1).ask("/rounds chart")
    assert photo.params["photo"] == row.file_id and len(draws) == 1
    assert photo.plain.splitlines() == [
        "📊 Rounds of talks",
        "3 rounds of talks, from Fri 16 May 2025 to Wed 23 Jul 2025.",
        "Latest: Third round — Istanbul, Wed 23 Jul 2025.",
    ]


async def test_a_file_id_telegram_no_longer_knows_is_uploaded_again(
    bot: Harness, draws: list[Any], database_url: str
) -> None:
    listing = await bot.chat(CHAT).ask("/rounds")
    [first] = await bot.chat(CHAT).press(listing, "📊 Timeline")
    assert png_size(first)[0] == 1200
    async with bot.sessions() as session:
        [old] = (await session.exec(select(ChartFile))).all()
    settings = make_settings(database_url, seed_on_empty=False)
    fresh = LocalBotApi()  # another bot API server: the stored file_id means nothing there
    app = build_application(settings, request=LocalRequest(fresh))
    async with running(app):
        chat = Harness(app=app, api=fresh).chat(CHAT)
        photo = await chat.ask("/rounds chart")
        assert photo.photo == first.photo and len(draws) == 1  # uploaded again, not redrawn
        tried = [c[1]["photo"] for c in fresh.calls if c[0] == "sendPhoto"]
        assert tried[0] == old.file_id and not isinstance(tried[1], str)
        async with bot.sessions() as session:
            [new] = (await session.exec(select(ChartFile))).all()
        assert new.key == old.key and new.file_id != old.file_id
        again = await chat.ask("/rounds chart")  # the new id is the one this server knows
    assert again.params["photo"] == new.file_id and len(draws) == 1


def test_charts_draw_cyrillic_labels_with_no_missing_glyph_and_keys_differ_by_language() -> None:
    data = ExchangeChart(
        year=2025,
        sides=(SideSeries("Україна", months(may=697)), SideSeries("Россия", months(may=697))),
        completed=2,
        agreed=(AgreedMark(dt.date(2025, 6, 2), None),),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        png = drawing.draw_exchanges(data)
        timeline = drawing.draw_rounds(
            RoundsChart((RoundMark(dt.date(2025, 5, 16), None, "Перший раунд", "Стамбул"),))
        )
    for picture in (png, timeline):
        with Image.open(io.BytesIO(picture)) as image:
            assert image.format == "PNG" and image.size[0] == 1200
    keys = set()
    for language in ("en", "uk"):
        with using_language(language):
            keys.add(chart_service.chart_key("exchanges", data, language))
    assert len(keys) == 2
    assert chart_service.chart_key("exchanges", data, "en") == chart_service.chart_key(
        "exchanges", data, "en"
    )


async def test_help_names_the_charts_and_the_notices_setting(bot: Harness) -> None:
    text = (await bot.chat(CHAT).ask("/help")).plain
    assert (
        "/exchanges — prisoner exchanges, yearly totals, a chart\n   e.g. /exchanges chart" in text
    )
    assert (
        "/rounds — timeline of the rounds of talks, also as a chart\n   e.g. /rounds chart" in text
    )
    assert "/settings — briefing time, zone, quiet mode, correction notices" in text


def test_the_rounds_caption_says_one_round_on_its_day_and_several_from_first_to_last() -> None:
    def mark(day: int) -> RoundMark:
        return RoundMark(dt.date(2025, 6, day), None, "Round", "Istanbul")

    one, two = RoundsChart((mark(2),)), RoundsChart((mark(2), mark(23)))
    expected = {
        "en": ("One round of talks, on Mon 2 Jun 2025.", "2 rounds of talks, from Mon 2 Jun"),
        "uk": ("Один раунд переговорів: пн, 2 черв. 2025.", "2 раунди переговорів, з пн, 2 черв."),
        "ru": ("Один раунд переговоров: пн, 2 июн. 2025.", "2 раунда переговоров, с пн, 2 июн."),
    }
    for language, (single, several) in expected.items():
        with using_language(language):
            assert single in drawing.rounds_caption(one)
            assert several in drawing.rounds_caption(two)
    with using_language("ru"):  # 21 takes the "one" form but is still a span
        many = RoundsChart(tuple(mark(1 + i % 28) for i in range(21)))
        assert "21 раунд переговоров, с " in drawing.rounds_caption(many)


def test_the_exchanges_caption_of_a_year_with_only_an_agreed_exchange_in_ukrainian() -> None:
    data = ExchangeChart(
        year=2025,
        sides=(SideSeries("Russia"), SideSeries("Ukraine")),
        completed=0,
        agreed=(AgreedMark(dt.date(2025, 6, 2), None), AgreedMark(dt.date(2025, 7, 1), 1200)),
        bodies_recorded=True,
    )
    with using_language("uk"):
        caption = drawing.exchanges_caption(data).splitlines()
    # No "no bodies returned in these exchanges" when there were none; numbers as uk writes them.
    assert caption[1:] == [
        "Завершених обмінів за цей рік немає.",
        "⏳ 2 домовленості про обмін, ще не виконані: пн, 2 черв. 2025 (кількість не оголошено); "
        "вт, 1 лип. 2025 (1\xa0200 осіб).",
    ]


def test_the_exchanges_caption_says_a_total_is_a_floor_when_a_number_was_not_announced() -> None:
    data = ExchangeChart(
        year=2025,
        sides=(
            SideSeries("Russia", months(jun=1000), months(jun=24), bodies_announced=False),
            SideSeries("Ukraine", living_announced=False, bodies_announced=False),
        ),
        completed=3,
        bodies_recorded=True,
    )
    assert drawing.exchanges_caption(data).splitlines()[1:] == [
        "3 completed exchanges returned 1,000 people to Russia; "
        "an unannounced number of people to Ukraine.",
        "Bodies returned: at least 24 bodies to Russia; an unannounced number to Ukraine.",
    ]
    with using_language("uk"):
        living = drawing.exchanges_caption(
            ExchangeChart(
                2025, (SideSeries("Russia", months(jun=1200), living_announced=False),), 2
            )
        )
    assert "щонайменше 1\xa0200 осіб to Russia" not in living  # the uk phrase, not English
    assert "щонайменше 1\xa0200 осіб" in living, living
