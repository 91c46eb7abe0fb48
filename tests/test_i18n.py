"""The interface in English, Ukrainian and Russian: catalogs, per-chat language, dates, plurals,
menus and the briefing, through the real Application and the strict fake Bot API."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from bot import app as bot_app
from core import i18n
from core.dates import format_date, format_date_range
from core.i18n import LANGUAGES, _, ngettext, supported, using_language
from core.text import number
from core.zones import resolve_zone
from fake_telegram import LocalBotApi, LocalRequest
from kinds.common import people
from services.delivery import send_due_briefings
from store.models import Subscriber, utcnow
from store.transfer import SEED_FILE
from tests.conftest import Chat, Harness, checked_harness, make_settings

SEED: dict[str, Any] = json.loads(SEED_FILE.read_text(encoding="utf-8"))
CATALOGS = Path(i18n.__file__).with_name("locales")
JUNE_2 = dt.date(2025, 6, 2)
# The seed's updates are all dated Mon 2 Jun 2025.
SEED_DAY = {"en": "Mon 2 Jun 2025", "uk": "пн, 2 черв. 2025", "ru": "пн, 2 июн. 2025"}
KYIV = "Europe/Kyiv"
ADMIN = 42


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[Harness]:
    """The seeded bot on SQLite and (with TEST_POSTGRES_URL) on PostgreSQL."""
    async for harness in checked_harness(make_settings(database_url)):
        yield harness


def speaker(bot: Harness, language: str, chat_id: int = 5001, **kwargs: Any) -> Chat:
    """A private chat whose user's Telegram is set to `language`."""
    return bot.chat(chat_id, language_code=language, **kwargs)


async def subscriber(bot: Harness, chat_id: int) -> Subscriber | None:
    async with bot.sessions() as session:
        return await session.get(Subscriber, (chat_id, 0))


# ------------------------------------------------------------------------------ catalogs


def _catalog(language: str) -> Any:
    with (CATALOGS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def _tags(text: str) -> list[str]:
    return sorted(re.findall(r"</?\w+>", text))


@pytest.mark.parametrize("language", ["uk", "ru"])
def test_every_message_is_translated_with_the_same_placeholders_and_tags(language: str) -> None:
    catalog = _catalog(language)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 100
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"untranslated in {language}: {message.id!r}"
        if len(ids) == 2:
            assert len(strings) == 3, message.id  # one, few, many
        for string in strings:
            assert _placeholders(string) == _placeholders(ids[-1]), (message.id, string)
            assert _tags(string) == _tags(ids[0]), (message.id, string)
            assert string != ids[0] or string in ("Документ", "напр."), message.id


def test_a_catalog_without_a_compiled_file_is_compiled_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "uk" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_bytes(
        (CATALOGS / "uk" / "LC_MESSAGES" / "messages.po").read_bytes()
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        assert not (target / "messages.mo").exists()
        with using_language("uk"):
            assert _("Sources") == "Джерела"
            assert ngettext("{n} person", "{n} people", 5) == "{n} осіб"
    finally:
        i18n.translations.cache_clear()


def test_telegram_language_codes_map_to_supported_languages() -> None:
    assert [supported(c) for c in ("uk", "uk-UA", "ru", "ru_RU", "en-GB", "de", None, "")] == [
        "uk",
        "uk",
        "ru",
        "ru",
        "en",
        "en",
        "en",
        "en",
    ]


# ------------------------------------------------------------------------ dates, numbers, plurals


def test_dates_are_written_in_the_readers_language() -> None:
    for language, expected in SEED_DAY.items():
        with using_language(language):
            assert format_date(JUNE_2) == expected
    with using_language("uk"):
        assert format_date_range(dt.date(2025, 5, 16), JUNE_2) == "пт, 16 трав. – пн, 2 черв. 2025"
    with using_language("ru"):
        assert format_date_range(dt.date(2025, 5, 16), JUNE_2) == "пт, 16 мая – пн, 2 июн. 2025"
    assert format_date_range(dt.date(2025, 5, 16), JUNE_2) == "Fri 16 May – Mon 2 Jun 2025"


def test_numbers_use_the_readers_separators() -> None:
    assert number(12345) == "12,345"
    with using_language("uk"):
        assert number(12345).replace("\u00a0", " ").replace("\u202f", " ") == "12 345"
    with using_language("ru"):
        assert number(12345).replace("\u00a0", " ").replace("\u202f", " ") == "12 345"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["1 person", "2 people", "5 people", "11 people", "21 people"]),
        ("uk", ["1 особа", "2 особи", "5 осіб", "11 осіб", "21 особа"]),
        ("ru", ["1 человек", "2 человека", "5 человек", "11 человек", "21 человек"]),
    ],
)
def test_plural_forms_of_people(language: str, expected: list[str]) -> None:
    with using_language(language):
        assert [people(n) for n in (1, 2, 5, 11, 21)] == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "1 completed exchange",
                "2 completed exchanges",
                "5 completed exchanges",
                "11 completed exchanges",
                "21 completed exchanges",
            ],
        ),
        (
            "uk",
            [
                "1 завершений обмін",
                "2 завершені обміни",
                "5 завершених обмінів",
                "11 завершених обмінів",
                "21 завершений обмін",
            ],
        ),
        (
            "ru",
            [
                "1 завершённый обмен",
                "2 завершённых обмена",
                "5 завершённых обменов",
                "11 завершённых обменов",
                "21 завершённый обмен",
            ],
        ),
    ],
)
def test_plural_forms_of_exchanges(language: str, expected: list[str]) -> None:
    with using_language(language):
        shown = [
            ngettext("{n} completed exchange", "{n} completed exchanges", n).format(n=n)
            for n in (1, 2, 5, 11, 21)
        ]
    assert shown == expected


# --------------------------------------------------------------------- every command's reply

# The main reply of each command, in each language: words only that language's text has.
MAIN_REPLIES: dict[str, dict[str, list[str]]] = {
    "/start": {
        "en": ["👋 Peace talks briefing", "What you can ask", "/latest — newest updates"],
        "uk": ["👋 Зведення про мирні переговори", "Що можна запитати", "/latest — найновіші"],
        "ru": ["👋 Сводка о мирных переговорах", "Что можно спросить", "/latest — самые свежие"],
    },
    "/help": {
        "en": ["What you can ask", "/subscribe — a briefing every morning at your time"],
        "uk": ["Що можна запитати", "/subscribe — зведення щоранку у зручний для вас час"],
        "ru": ["Что можно спросить", "/subscribe — сводка каждое утро в удобное для вас время"],
    },
    "/latest": {
        "en": ["📰 Latest updates (1–5, newest first)", "📅 Mon 2 Jun 2025", "Source: Reuters"],
        "uk": ["📰 Останні новини (1–5, спершу найновіші)", "📅 пн, 2 черв. 2025", "Джерело:"],
        "ru": ["📰 Последние новости (1–5, сначала самые новые)", "пн, 2 июн. 2025", "Источник:"],
    },
    "/latest since 2 June 2025": {
        "en": ["📰 Latest updates since Mon 2 Jun 2025"],
        "uk": ["📰 Останні новини з пн, 2 черв. 2025"],
        "ru": ["📰 Последние новости с пн, 2 июн. 2025"],
    },
    "/latest between 1 and 15 June 2025": {
        "en": ["📰 Latest updates, 1–15 Jun 2025"],
        "uk": ["📰 Останні новини, 1–15 черв. 2025"],
        "ru": ["📰 Последние новости, 1–15 июн. 2025"],
    },
    "/positions": {
        "en": ["🧭 Where the parties stand (tap an issue"],
        "uk": ["🧭 Позиції сторін (натисніть на питання"],
        "ru": ["🧭 Позиции сторон (нажмите на вопрос"],
    },
    "/positions all": {
        "en": ["🧭 Current positions", "as of "],
        "uk": ["🧭 Поточні позиції", "станом на "],
        "ru": ["🧭 Текущие позиции", "по состоянию на "],
    },
    "/exchanges": {
        "en": ["🔁 Prisoner exchanges (newest first)", "AGREED, NOT YET CARRIED OUT"],
        "uk": ["🔁 Обміни полоненими (спершу найновіші)", "ДОМОВЛЕНО, ЩЕ НЕ ВИКОНАНО"],
        "ru": ["🔁 Обмены пленными (сначала самые новые)", "ДОГОВОРЁННОСТЬ, ЕЩЁ НЕ ВЫПОЛНЕНА"],
    },
    "/rounds": {
        "en": ["🗓 Rounds of talks (newest first)", "📅 Mon 2 Jun 2025", "Mediator:"],
        "uk": ["🗓 Раунди переговорів (спершу найновіші)", "📅 пн, 2 черв. 2025", "Посередник:"],
        "ru": ["🗓 Раунды переговоров (сначала самые новые)", "📅 пн, 2 июн. 2025", "Посредник:"],
    },
    "/documents": {
        "en": ["📄 Documents on the table (newest first)"],
        "uk": ["📄 Документи переговорів (спершу найновіші)"],
        "ru": ["📄 Документы переговоров (сначала самые новые)"],
    },
    "/search memorandum": {
        "en": ["🔎 Results for “memorandum” (best match first)"],
        "uk": ["🔎 Результати за запитом «memorandum» (спершу найточніші)"],
        "ru": ["🔎 Результаты по запросу «memorandum» (сначала самые точные)"],
    },
    "/search": {
        "en": ["What should I look for?", "Usage: /search WORDS"],
        "uk": ["Що шукати?", "Як користуватися: /search СЛОВА"],
        "ru": ["Что искать?", "Как пользоваться: /search СЛОВА"],
    },
    "/latest many": {
        "en": [
            "“many” is not a number of updates.",
            "Usage: /latest [N] [since|until|in|between DATE]",
        ],
        "uk": ["«many» — це не кількість новин.", "Як користуватися: /latest [N]"],
        "ru": ["«many» — это не количество новостей.", "Как пользоваться: /latest [N]"],
    },
    "/latest between 15 and 1 June 2025": {
        "en": [
            "The end, Sun 1 Jun 2025, is before the start, Sun 15 Jun 2025: "
            "put the earlier date first."
        ],
        "uk": ["Кінець (нд, 1 черв. 2025) раніше за початок (нд, 15 черв. 2025): спершу вкажіть"],
        "ru": ["Конец (вс, 1 июн. 2025) раньше начала (вс, 15 июн. 2025): сначала укажите"],
    },
    "/rounds foo": {
        "en": ["Usage: /rounds (newest first), /rounds PAGE or /rounds chart (a timeline)"],
        "uk": ["Як користуватися: /rounds (спершу найновіші), /rounds СТОРІНКА або /rounds chart"],
        "ru": ["Как пользоваться: /rounds (сначала самые новые), /rounds СТРАНИЦА или"],
    },
    "/subscribe 7:30": {
        "en": ["✅ Subscribed: a briefing every morning at 07:30 Kyiv time (Europe/Kyiv)."],
        "uk": ["✅ Підписку оформлено: зведення щоранку о 07:30 за місцевим часом (Київ, Europe"],
        "ru": [
            "✅ Подписка оформлена: сводка каждое утро в 07:30 по местному времени (Киев, Europe"
        ],
    },
    "/settings": {
        "en": ["⚙️ Your briefing settings", "Status: not subscribed", "sound): off"],
        "uk": ["⚙️ Налаштування зведення", "Статус: не підписано", "сповіщення): вимкнено"],
        "ru": ["⚙️ Настройки сводки", "Статус: не подписаны", "уведомления): выключен"],
    },
    "/unsubscribe": {
        "en": ["You are not subscribed. /subscribe starts the morning briefing."],
        "uk": ["Ви не підписані. /subscribe вмикає ранкове зведення."],
        "ru": ["Вы не подписаны. /subscribe включает утреннюю сводку."],
    },
    "/brief": {
        "en": ["☀️ Morning briefing · "],
        "uk": ["☀️ Ранкове зведення · "],
        "ru": ["☀️ Утренняя сводка · "],
    },
    "/nosuchcommand": {
        "en": ["I don't know /nosuchcommand. Send /help to see what I can do."],
        "uk": ["Я не знаю команди /nosuchcommand. Надішліть /help"],
        "ru": ["Я не знаю команды /nosuchcommand. Отправьте /help"],
    },
    "hello": {
        "en": ["I answer commands rather than chat."],
        "uk": ["Я відповідаю на команди, а не на повідомлення."],
        "ru": ["Я отвечаю на команды, а не на сообщения."],
    },
    "/language": {
        "en": ["Language: English. Choose another:"],
        "uk": ["Мова: Українська. Виберіть іншу:"],
        "ru": ["Язык: Русский. Выберите другой:"],
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_commands_main_reply_in_each_language(bot: Harness, language: str) -> None:
    for command, expected in MAIN_REPLIES.items():
        # A fresh chat for each command: /subscribe must not change what /settings says.
        chat = speaker(bot, language, chat_id=6000 + len(bot.api.sent()))
        replies = await chat.send(command)
        assert replies, command
        text = "\n".join(r.plain for r in replies)
        for words in expected[language]:
            assert words in text, (command, language, text[:400])
        others = [w for lang, ws in expected.items() if lang != language for w in ws]
        for words in others:
            if words not in expected[language]:
                assert words not in text, (command, language, words)


async def test_the_seed_updates_show_their_headlines_and_a_localized_date(bot: Harness) -> None:
    headlines = [u["headline"] for u in SEED["updates"]]
    for language in LANGUAGES:
        reply = await speaker(bot, language).ask("/latest")
        dated = re.findall(r"📅 (.+?) — (.+)", reply.plain)
        assert len(dated) == 5
        assert {day for day, _ in dated} == {SEED_DAY[language]}
        # The stored text as written; other languages' readers see it marked untranslated.
        marker = "" if language == "en" else " 🌐 EN"
        assert all(h.endswith(marker) and h.removesuffix(marker) in headlines for _, h in dated)


@pytest.mark.parametrize(
    ("language", "returned"),
    [
        ("en", "Returned: to Ukraine: not announced · to Russia: not announced"),
        ("uk", "Повернуто: до Ukraine: не оголошено · до Russia: не оголошено"),
        ("ru", "Возвращено: Ukraine: не объявлено · Russia: не объявлено"),
    ],
)
async def test_an_exchange_in_full_says_who_got_people_back_in_the_readers_language(
    bot: Harness, language: str, returned: str
) -> None:
    shown = (await speaker(bot, language).ask("/show X1")).plain
    assert returned in shown.splitlines(), shown


@pytest.mark.parametrize(
    ("language", "lead", "status"),
    [
        ("en", "Lead story of the day: yes", "Status: 📨 Handed over"),
        ("uk", "Головна новина дня: так", "Статус: 📨 Передано"),
        ("ru", "Главная новость дня: да", "Статус: 📨 Передан"),
    ],
)
async def test_a_fact_in_full_labels_the_lead_and_a_documents_status_in_the_readers_language(
    bot: Harness, language: str, lead: str, status: str
) -> None:
    chat = speaker(bot, language)
    assert lead in (await chat.ask("/show U4")).plain.splitlines()  # was "Lead: так"
    assert status in (await chat.ask("/show D1")).plain.splitlines()  # was "📨 Handed over"


async def test_buttons_are_labelled_in_the_readers_language(bot: Harness) -> None:
    reply = await speaker(bot, "uk").ask("/latest 10")
    labels = [label for row in reply.buttons for label, _ in row]
    assert [label for label in labels if not label.startswith("📖")] == ["Старіші ▶"]
    settings = await speaker(bot, "ru", chat_id=5002).ask("/settings")
    assert [label for row in settings.buttons for label, _ in row] == [
        "🔕 Тихий режим",
        "📨 Выключить уведомления об исправлениях",
    ]


HINT = {
    "en": "Try for example: since 1 May 2025, since mid-March,",
    "uk": "Спробуйте, наприклад: з 1 травня 2025, з середини березня,",
    "ru": "Попробуйте, например: с 1 мая 2025, с середины марта,",
}
HELP_EXAMPLES = {
    "en": ("e.g. /latest 10 since Monday", "e.g. /subscribe 7:30 London"),
    "uk": ("напр. /latest 10 з понеділка", "напр. /subscribe 7:30 Київ"),
    "ru": ("напр. /latest 10 с понедельника", "напр. /subscribe 7:30 Киев"),
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_date_examples_are_in_the_readers_words_and_each_one_works(
    bot: Harness, language: str
) -> None:
    chat = speaker(bot, language)
    help_text = (await chat.ask("/help")).plain
    assert all(example in help_text for example in HELP_EXAMPLES[language]), help_text
    refused = (await chat.ask("/latest since blurgh")).plain
    hint = refused.splitlines()[-1]
    assert hint.startswith(HINT[language]), refused
    examples = hint.split(": ", 1)[1].removesuffix(".").split(", ")
    assert len(examples) == 7
    for example in [*examples, HELP_EXAMPLES[language][0].split(" ", 3)[3]]:
        answer = (await chat.ask(f"/latest {example}")).plain  # what the bot suggests, it reads
        assert answer.startswith(("📰", "No updates", "Новин", "Новостей")), (example, answer)


# ---------------------------------------------------------------------------- /language


async def test_language_is_stored_per_chat_and_used_for_every_reply(bot: Harness) -> None:
    chat = speaker(bot, "en")
    other = speaker(bot, "en", chat_id=5002)
    answer = await chat.ask("/language uk")
    assert answer.plain == "Мову встановлено: Українська."
    assert (await subscriber(bot, 5001)).language == "uk"  # type: ignore[union-attr]
    assert (await subscriber(bot, 5002)) is None

    assert (await chat.ask("/latest")).plain.startswith("📰 Останні новини")
    assert (await other.ask("/latest")).plain.startswith("📰 Latest updates")

    # The buttons: Russian, then back to English.
    menu = await chat.ask("/language")
    assert menu.plain == "Мова: Українська. Виберіть іншу:"
    assert [label for row in menu.buttons for label, _ in row] == [
        "English",
        "Українська",
        "Русский",
    ]
    (chosen,) = await chat.press(menu, "Русский")
    assert chosen.plain == "Язык установлен: Русский."
    assert (await subscriber(bot, 5001)).language == "ru"  # type: ignore[union-attr]
    assert (await chat.ask("/help")).plain.startswith("Что можно спросить")
    await chat.ask("/language english")
    assert (await subscriber(bot, 5001)).language == "en"  # type: ignore[union-attr]
    assert (await chat.ask("/help")).plain.startswith("What you can ask")


async def test_an_unknown_language_changes_nothing(bot: Harness) -> None:
    chat = speaker(bot, "uk")
    answer = await chat.ask("/language klingon")
    assert answer.plain == "Я не знаю мови «klingon». Виберіть одну з: en, uk, ru."
    assert await subscriber(bot, 5001) is None


async def test_in_a_group_only_admins_change_the_language(bot: Harness) -> None:
    group_id = -100777
    member = Chat(bot, group_id, user_id=11, chat_type="supergroup", language_code="en")
    admin = Chat(bot, group_id, user_id=12, chat_type="supergroup", language_code="en")
    bot.api.set_member(group_id, 12, "administrator")

    refused = await member.ask("/language ru")
    assert refused.plain == "Only the group's admins can change its language."
    assert await subscriber(bot, group_id) is None

    assert (await admin.ask("/language ru")).plain == "Язык установлен: Русский."
    # The group's language wins over each member's own.
    ukrainian_member = Chat(bot, group_id, user_id=13, chat_type="supergroup", language_code="uk")
    assert (await ukrainian_member.ask("/help")).plain.startswith("Что можно спросить")
    row = await subscriber(bot, group_id)
    assert row is not None and row.language == "ru"


# ------------------------------------------------------------------------- /subscribe zones


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Київ", KYIV),
        ("Киев", KYIV),
        ("Одеса", KYIV),
        ("Одесса", KYIV),
        ("Львів", KYIV),
        ("Харків", KYIV),
        ("Москва", "Europe/Moscow"),
        ("Варшава", "Europe/Warsaw"),
        ("Лондон", "Europe/London"),
        ("Берлін", "Europe/Berlin"),
        ("Нью-Йорк", "America/New_York"),
    ],
)
def test_cities_in_ukrainian_and_russian(typed: str, zone: str) -> None:
    assert resolve_zone(typed) == zone


async def test_subscribe_with_a_ukrainian_city(bot: Harness) -> None:
    answer = await speaker(bot, "uk").ask("/subscribe 7:30 Львів")
    assert "зведення щоранку о 07:30 за місцевим часом (Київ, Europe/Kyiv)" in answer.plain
    row = await subscriber(bot, 5001)
    assert row is not None and row.subscribed
    assert (row.briefing_time, row.timezone) == (dt.time(7, 30), KYIV)
    moscow = await speaker(bot, "ru", chat_id=5002).ask("/subscribe 8:00 Москва")
    assert "сводка каждое утро в 08:00 по местному времени (Москва, Europe/Moscow)" in moscow.plain


# ------------------------------------------------------------------------------ the briefing


async def test_an_english_and_a_ukrainian_subscriber_get_the_same_briefing(
    bot: Harness,
) -> None:
    now = utcnow()
    local = now.astimezone(ZoneInfo(KYIV)) - dt.timedelta(minutes=5)
    at = f"{local:%H:%M}"
    await speaker(bot, "en", chat_id=7001).ask(f"/subscribe {at} Kyiv")
    await speaker(bot, "uk", chat_id=7002).ask(f"/subscribe {at} Київ")
    settings = bot.app.bot_data.settings
    assert settings is not None
    bot.api.clear()
    stats = await send_due_briefings(bot.app.bot, bot.sessions, settings, now=now)
    assert stats.sent == 2

    english = "\n".join(m.plain for m in bot.api.sent(7001))
    ukrainian = "\n".join(m.plain for m in bot.api.sent(7002))
    assert english.startswith("☀️ Morning briefing · ")
    assert ukrainian.startswith("☀️ Ранкове зведення · ")
    with using_language("uk"):
        assert format_date(now.astimezone(ZoneInfo(KYIV)).date()) in ukrainian.splitlines()[0]
    for heading_en, heading_uk in [
        ("📰 New updates", "📰 Свіжі новини"),
        ("🔁 Prisoner exchanges", "🔁 Обміни полоненими"),
        ("🤝 Rounds of talks", "🤝 Раунди переговорів"),
    ]:
        assert heading_en in english and heading_en not in ukrainian
        assert heading_uk in ukrainian
    assert "Нові новини" not in ukrainian  # "new news"
    with using_language("ru"):
        assert _("📰 <b>New updates</b>") == "📰 <b>Свежие новости</b>"
    with using_language("uk"):
        assert _("Part {part} of {parts} — the rest follows.").format(part=1, parts=3) == (
            "Частина 1 з 3 — продовження в наступному повідомленні."
        )
    # The same facts, in the same order: the stored headlines are not translated.
    headlines = [u["headline"] for u in SEED["updates"]]
    order_en = [h for h in headlines if h in english]
    order_uk = [h for h in headlines if h in ukrainian]
    assert order_en == order_uk and len(order_en) == len(headlines)
    assert english.count("📅 Mon 2 Jun 2025") == ukrainian.count("📅 пн, 2 черв. 2025") > 0


# ---------------------------------------------------------------------------- menus at start


async def test_menus_and_descriptions_are_set_per_language(bot: Harness) -> None:
    menus = {code: bot.api.commands(language_code=code) for code in ("", "uk", "ru")}
    described = {code: {c["command"]: c["description"] for c in menus[code]} for code in menus}
    assert described[""]["latest"] == "newest updates, optionally since a date"
    assert described["uk"]["latest"] == "найновіші новини, за бажанням — від дати"
    assert described["ru"]["latest"] == "самые свежие новости, при желании — с даты"
    assert list(described["uk"]) == list(described[""]) == list(described["ru"])

    async def text(method: str, code: str) -> str:
        status, body = await bot.api.handle(method, {"language_code": code} if code else {})
        assert status == 200
        value: str = next(iter(body["result"].values()))
        return value

    assert (await text("getMyShortDescription", "")).startswith("Dated, sourced facts")
    assert (await text("getMyShortDescription", "uk")).startswith("Датовані факти")
    assert (await text("getMyDescription", "ru")).startswith("Датированные факты")
    # The editors' menu, per language too.
    editor = bot.api.commands({"type": "chat", "chat_id": ADMIN}, "uk")
    assert {"command": "edit", "description": "виправити факт"} in editor


async def test_a_failure_to_set_the_menus_is_logged_and_the_bot_still_answers(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The menus are set in the background once polling starts: whatever goes wrong there is
    # one log line, never a failed start.
    async def broken(bot: Any, admin_ids: frozenset[int]) -> None:
        raise RuntimeError("menus broke")

    monkeypatch.setattr(bot_app, "set_menus", broken)
    async for harness in checked_harness(make_settings(sqlite_url)):
        assert harness.api.commands(language_code="") == []
        reply = await harness.chat().ask("/latest")
        assert SEED_DAY["en"] in reply.plain
    failures = [r for r in caplog.records if r.getMessage() == "Could not set the command menus"]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert "menus broke" in str(failures[0].exc_info[1])


async def test_the_menus_are_set_even_when_polling_starts_late(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The job that sets them is scheduled in post_init but the job queue starts only after
    # deleteWebhook: a slow answer there must not make APScheduler drop it as misfired.
    set_for: list[frozenset[int]] = []

    async def record(bot: Any, admin_ids: frozenset[int]) -> None:
        set_for.append(admin_ids)

    monkeypatch.setattr(bot_app, "set_menus", record)
    api = LocalBotApi()
    app = bot_app.build_application(
        make_settings(sqlite_url), request=LocalRequest(api), updates_request=LocalRequest(api)
    )
    await app.initialize()
    try:
        assert app.post_init is not None
        await app.post_init(app)
        await asyncio.sleep(1.5)  # past APScheduler's default misfire grace of 1 s
        await app.start()
        for _ in range(100):
            if set_for:
                break
            await asyncio.sleep(0.05)
        assert set_for == [make_settings(sqlite_url).admin_ids]
        await app.stop()
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


# ------------------------------------------------------------------------------- editors


async def test_an_editor_adds_an_update_in_ukrainian(bot: Harness) -> None:
    editor = speaker(bot, "uk", chat_id=ADMIN)
    preview = await editor.ask(
        "/add Сторони домовилися про новий раунд\ndate: 3 June 2025\nsource: Reuters"
    )
    assert preview.plain.startswith(
        "📝 Попередній перегляд: новий запис (новина) — ще не збережено"
    )
    assert "📅 вт, 3 черв. 2025 — Сторони домовилися про новий раунд" in preview.plain
    assert "Джерело: Reuters" in preview.plain
    assert [label for row in preview.buttons for label, _ in row] == [
        "✅ Зберегти",
        "✏️ Редагувати",
        "✖️ Скасувати",
        "🌐 Перекласти",
    ]
    (saved,) = await editor.press(preview, "Зберегти")
    ref = re.search(r"Збережено як (U\d+)", saved.plain)
    assert ref is not None, saved.plain
    assert bot.api.callback_answers[-1].text == f"Збережено як {ref.group(1)}."
    reader = speaker(bot, "ru", chat_id=5009)
    latest = await reader.ask("/latest 1")
    assert "📅 вт, 3 июн. 2025 — Сторони домовилися про новий раунд" in latest.plain


async def test_an_editors_form_problems_in_russian(bot: Harness) -> None:
    editor = speaker(bot, "ru", chat_id=ADMIN)
    answer = await editor.ask("/add Заголовок\ndate: blurgh\nsource: Reuters")
    assert answer.plain.startswith("Ничего не сохранено. Исправьте, пожалуйста:")
    assert "• date: не удалось распознать дату «blurgh». Попробуйте: вчера," in answer.plain
    assert "Напишите так:" in answer.plain
    stages = await editor.ask(
        "/exchange\ndate: 1 Dec 2025\nreturned: Ukraine 30, Russia 25\n"
        "stages: 1 Dec 2025 | 20; 2 Dec 2025 | 10 | много\nsource: Test"
    )
    assert "• stages: пишите каждый день как «23 мая 2025 | 390 | 390», по одному числу" in (
        stages.plain
    )
    assert "• stages: «много» — не целое число людей." in stages.plain
    stance = await editor.ask(
        "/position\nparty: Rusia\nissue: nato\nstance: Нет\ndate: 1 June 2025\n"
        "label: " + "x" * 200 + "\nsupersedes: вчера\nsource: Test"
    )
    assert "• party: стороны «Rusia» нет. Возможно, «Russia»?" in stance.plain, stance.plain
    assert "• label: несколько слов, не больше" in stance.plain
    assert "• supersedes: укажите id позиции, которую заменяет новая, напр. P7, или «none» " in (
        stance.plain
    )
    # The guided form's translation lines, in Russian.
    start = await editor.ask("/add")
    assert "🌐 К любому ответу можно добавить переводы: «headline uk: …»." in start.plain
    wrong = await editor.ask("Заголовок\nheadline de: Titel")
    assert wrong.plain.startswith("headline de: нет языка «de»; используйте en, uk, ru.\n\n")
    noted = await editor.ask("headline uk: Заголовок")
    assert noted.plain.startswith("🌐 Записано: headline uk.\n\n")
    reader = speaker(bot, "uk", chat_id=5001)
    refused = await reader.ask("/add Заголовок")
    assert refused.plain == "Ця команда — для редакторів."
