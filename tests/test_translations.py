"""Facts in several languages: `headline uk: …` lines, what readers of each language see, audit,
export and import, search, and the editors' /translations missing list.

Runs on SQLite and, with TEST_POSTGRES_URL, on PostgreSQL, through the real Application and the
strict fake Bot API, on the seed. The editor is user 42.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select

from fake_telegram import SentMessage
from kinds.dataset import dump_dataset
from kinds.export import export_dataset
from kinds.transfer import import_bytes
from kinds.update import NewsUpdate
from services.delivery import send_due_briefings
from store.db import create_engine, make_session_factory, upgrade_schema
from store.models import CorrectionNotice, Draft, FactTranslation, utcnow
from tests.conftest import Chat, Harness, editor_chat

HEADLINE = "Negotiators agree a grain corridor at Lake Geneva"
HEADLINE_UK = "Переговірники погодили зерновий коридор на Женевському озері"
SUMMARY_UK = "Сторони домовилися про безпечний прохід суден."
ADD = (
    f"/add {HEADLINE}\ndate: 3 June 2025\nsource: Reuters\n"
    "summary: The sides agreed safe passage for ships.\n"
    f"headline uk: {HEADLINE_UK}\nsummary uk: {SUMMARY_UK}"
)


@pytest.fixture
def bot(editor_bot: Harness) -> Harness:
    """The seeded bot on each backend, with user 42 as the only editor."""
    return editor_bot


editor = editor_chat


def reader(h: Harness, language: str, chat_id: int) -> Chat:
    return h.chat(chat_id, language_code=language)


async def save(chat: Chat, preview: SentMessage) -> str:
    """Press Save; return the saved (or corrected) fact's public id."""
    await chat.press(preview, "Save")
    answer = chat.bot.api.callback_answers[-1].text or ""
    assert answer.startswith(("Saved as ", "Corrected ")), answer
    return answer.removeprefix("Saved as ").removeprefix("Corrected ").rstrip(".")


async def stored(h: Harness, fact_id: int) -> dict[tuple[str, str], str]:
    async with h.sessions() as session:
        rows = (
            await session.exec(
                select(FactTranslation).where(
                    FactTranslation.fact_kind == "update", FactTranslation.fact_id == fact_id
                )
            )
        ).all()
    return {(r.language, r.field): r.text for r in rows}


async def test_a_translation_goes_through_preview_save_audit_export_and_import(
    bot: Harness, tmp_path: Path
) -> None:
    chat = editor(bot)
    preview = await chat.ask(ADD)
    assert f"🌐 headline uk: {HEADLINE_UK}" in preview.plain
    assert f"🌐 summary uk: {SUMMARY_UK}" in preview.plain
    ref = await save(chat, preview)
    fact_id = int(ref[1:])
    assert await stored(bot, fact_id) == {
        ("uk", "headline"): HEADLINE_UK,
        ("uk", "summary"): SUMMARY_UK,
    }

    # A correction adds Russian; the preview lists the change and the audit log records it.
    edited = await chat.ask(f"/edit {ref}\nheadline ru: Переговорщики согласовали коридор")
    assert "• headline ru: — → Переговорщики согласовали коридор" in edited.plain
    assert await save(chat, edited) == ref
    history = await chat.ask(f"/history {ref}")
    assert "Переговорщики согласовали коридор" in history.plain
    shown = await reader(bot, "en", 5001).ask(f"/show {ref}")
    assert "✏️ Corrected" in shown.plain and shown.plain.endswith(": translations")

    # `headline uk: none` removes one translation and leaves the others.
    dropped = await chat.ask(f"/edit {ref}\nsummary uk: none")
    await save(chat, dropped)
    assert await stored(bot, fact_id) == {
        ("uk", "headline"): HEADLINE_UK,
        ("ru", "headline"): "Переговорщики согласовали коридор",
    }

    async with bot.sessions() as session:
        exported = json.loads(dump_dataset(await export_dataset(session)))
    (item,) = [u for u in exported["updates"] if u["headline"] == HEADLINE]
    assert item["translations"] == {
        "ru": {"headline": "Переговорщики согласовали коридор"},
        "uk": {"headline": HEADLINE_UK},
    }
    assert "language" not in item  # English, the default

    # Into a fresh store: the fact comes back with its translations, and exports the same.
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/copy.db")
    await upgrade_schema(engine)
    try:
        async with make_session_factory(engine)() as session:
            report = await import_bytes(session, json.dumps(exported))
            assert report.ok, report.errors
            copy = json.loads(dump_dataset(await export_dataset(session)))
            row = (
                await session.exec(select(NewsUpdate).where(NewsUpdate.headline == HEADLINE))
            ).one()
            texts = (
                await session.exec(
                    select(FactTranslation.language, FactTranslation.field, FactTranslation.text)
                    .where(FactTranslation.fact_kind == "update", FactTranslation.fact_id == row.id)
                    .order_by(col(FactTranslation.language))
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(t) for t in texts] == [
        ("ru", "headline", "Переговорщики согласовали коридор"),
        ("uk", "headline", HEADLINE_UK),
    ]
    (copied,) = [u for u in copy["updates"] if u["headline"] == HEADLINE]
    assert copied["translations"] == item["translations"]


async def test_readers_see_their_language_or_the_original_marked(bot: Harness) -> None:
    chat = editor(bot)
    ref = await save(chat, await chat.ask(ADD))

    latest_uk = (await reader(bot, "uk", 5001).ask("/latest 3")).plain
    assert f"📅 вт, 3 черв. 2025 — {HEADLINE_UK}\n{SUMMARY_UK}\n" in latest_uk
    assert HEADLINE not in latest_uk
    latest_ru = (await reader(bot, "ru", 5002).ask("/latest 3")).plain
    assert f"— {HEADLINE} 🌐 EN\n" in latest_ru and HEADLINE_UK not in latest_ru
    latest_en = (await reader(bot, "en", 5003).ask("/latest 3")).plain
    assert f"— {HEADLINE}\n" in latest_en and "🌐" not in latest_en

    show_uk = (await reader(bot, "uk", 5001).ask(f"/show {ref}")).plain
    assert (
        f"Заголовок: {HEADLINE_UK}\nДата: вт, 3 черв. 2025\nКороткий зміст: {SUMMARY_UK}" in show_uk
    )
    assert HEADLINE not in show_uk and "🌐" not in show_uk.splitlines()[0]
    show_ru = (await reader(bot, "ru", 5002).ask(f"/show {ref}")).plain
    assert show_ru.splitlines()[0].endswith(f"{ref} 🌐 EN") and HEADLINE in show_ru

    # /search finds it by a Ukrainian word, in any reader's language.
    found = (await reader(bot, "en", 5003).ask("/search зерновий коридор")).plain
    assert f"📅 Tue 3 Jun 2025 — {HEADLINE}\n" in found and found.endswith(f"Reuters · {ref}")
    found_uk = (await reader(bot, "uk", 5001).ask("/search зерновий")).plain
    assert f"— {HEADLINE_UK}\n{SUMMARY_UK}\nДжерело: Reuters · {ref}" in found_uk


async def test_translations_missing_lists_untranslated_facts_for_editors_only(
    bot: Harness,
) -> None:
    chat = editor(bot)
    ref = await save(chat, await chat.ask(f"/add {HEADLINE}\ndate: 3 June 2025\nsource: Reuters"))
    listed = await chat.ask("/translations missing uk")
    assert listed.plain.startswith("🌐 Not translated into uk")
    assert f"📅 Tue 3 Jun 2025 — {HEADLINE} · {ref}" in listed.plain
    # Every seed fact with text is listed too, paged, newest first.
    assert "Older ▶" in [label for row in listed.buttons for label, _ in row]
    assert (await chat.ask("/translations missing ru")).plain.count(ref) == 1

    await save(chat, await chat.ask(f"/edit {ref}\nheadline uk: {HEADLINE_UK}"))
    assert ref not in (await chat.ask("/translations missing uk")).plain
    assert ref in (await chat.ask("/translations missing ru")).plain

    usage = (await chat.ask("/translations missing klingon")).plain
    assert usage.startswith("Usage: /translations missing uk")
    refused = await bot.chat(5009, user_id=5009).ask("/translations missing uk")
    assert refused.plain == "This command is for editors."
    assert ref not in refused.plain


async def test_a_translation_line_for_a_field_that_is_not_translated_is_refused(
    bot: Harness,
) -> None:
    chat = editor(bot)
    answer = await chat.ask(f"/add {HEADLINE}\ndate: 3 June 2025\ntags uk: переговори")
    assert "tags uk: tags is not translated; these are: headline, summary." in answer.plain
    answer = await chat.ask(f"/add {HEADLINE}\ndate: 3 June 2025\nheadline de: Verhandlungen")
    assert "headline de: no language “de”; use en, uk, ru." in answer.plain
    async with bot.sessions() as session:
        rows = (await session.exec(select(FactTranslation))).all()
    assert rows == []
    bad = {
        "updates": [
            {
                "headline": "H",
                "date": "2025-06-03",
                "sources": [{"name": "Reuters"}],
                "translations": {"uk": {"tags": "x"}},
            }
        ]
    }
    async with bot.sessions() as session:
        report = await import_bytes(session, json.dumps(bad))
    assert report.errors == [
        "updates[0]: translations: uk: 'tags' is not translated (fields: headline, summary)"
    ]


async def test_the_translate_button_asks_for_the_lines_and_the_preview_takes_them(
    bot: Harness,
) -> None:
    chat = editor(bot)
    preview = await chat.ask(f"/add {HEADLINE}\ndate: 3 June 2025\nsource: Reuters")
    (prompt,) = await chat.press(preview, "🌐 Translate")
    assert f"headline uk: {HEADLINE}\nheadline ru: {HEADLINE}" in prompt.plain
    (again,) = await chat.send(f"headline uk: {HEADLINE_UK}")
    assert f"🌐 headline uk: {HEADLINE_UK}" in again.plain
    ref = await save(chat, again)
    assert await stored(bot, int(ref[1:])) == {("uk", "headline"): HEADLINE_UK}


async def test_the_guided_form_takes_translation_lines_and_previews_them_as_typed(
    bot: Harness,
) -> None:
    chat = editor(bot)
    typed = await chat.ask(ADD)
    start = await chat.ask("/add")
    assert "🌐 Any answer may add translations: “headline uk: …”." in start.plain
    # A translation may come with the answer, in the same message.
    asked = await chat.ask(f"{HEADLINE}\nheadline uk: {HEADLINE_UK}")
    assert asked.plain.startswith("When?")

    async def values() -> dict[str, str]:
        async with bot.sessions() as session:
            (form,) = (await session.exec(select(Draft).where(Draft.status == "form"))).all()
        found: dict[str, str] = json.loads(form.payload)["values"]
        return found

    before = await values()
    assert before == {"headline": HEADLINE, "headline uk": HEADLINE_UK}
    # Wrong translation lines get one short answer, the question again, and change nothing.
    for line, problem in [
        ("tags uk: переговори", "tags uk: tags is not translated; these are: headline, summary."),
        ("headline de: Verhandlungen", "headline de: no language “de”; use en, uk, ru."),
        ("summary uk:", "summary uk: the translation is empty."),
        (f"3 June 2025\nheadline uk: {HEADLINE_UK}\nheadline uk: x", "headline uk: given twice"),
    ]:
        answer = await chat.ask(line)
        assert answer.plain.startswith(problem), answer.plain
        assert answer.plain.endswith("When? (e.g. 2 June 2025, yesterday, Monday)")
        assert await values() == before
    assert (await chat.ask("3 June 2025")).plain == "Short summary? (/skip)"
    # Translation lines alone are noted, and the same question is asked again.
    # (a line without `name:` continues the translation, as in the typed form)
    first, rest = SUMMARY_UK.split(" п", 1)
    noted = await chat.ask(f"summary uk: {first}\nп{rest}")
    assert noted.plain == "🌐 Noted: summary uk.\n\nShort summary? (/skip)"
    assert (await chat.ask("The sides agreed safe passage for ships.")).plain.startswith("Source?")
    assert (await chat.ask("Reuters")).plain.startswith("Tags")
    preview = await chat.ask("/skip")
    assert f"🌐 summary uk: {SUMMARY_UK}" in preview.plain
    assert preview.plain == typed.plain
    ref = await save(chat, preview)
    assert await stored(bot, int(ref[1:])) == {
        ("uk", "headline"): HEADLINE_UK,
        ("uk", "summary"): f"{first}\nп{rest}",
    }


async def test_a_fact_written_in_ukrainian_is_marked_for_other_readers(bot: Harness) -> None:
    chat = editor(bot)
    typed = f"/add {HEADLINE_UK}\ndate: 3 June 2025\nsource: Reuters\nlanguage: uk"
    preview = await chat.ask(typed)
    assert "🌐 Original language: uk" in preview.plain
    ref = await save(chat, preview)
    english = (await reader(bot, "en", 5003).ask("/latest 1")).plain
    assert f"— {HEADLINE_UK} 🌐 UK\n" in english
    ukrainian = (await reader(bot, "uk", 5001).ask("/latest 1")).plain
    assert f"— {HEADLINE_UK}\n" in ukrainian and "🌐" not in ukrainian
    async with bot.sessions() as session:
        exported = json.loads(dump_dataset(await export_dataset(session)))
    (item,) = [u for u in exported["updates"] if u["key"] == f"update-{ref[1:]}"]
    assert item["language"] == "uk" and "translations" not in item
    refused = await chat.ask(f"/add {HEADLINE}\ndate: 3 June 2025\nlanguage: klingon")
    assert "language: use en, uk, ru." in refused.plain


async def test_the_guided_form_takes_the_language_of_the_fact_s_own_text(bot: Harness) -> None:
    chat = editor(bot)
    await chat.ask("/add")
    when = "When? (e.g. 2 June 2025, yesterday, Monday)"
    # An unknown language gets the typed form's answer, the question again, and changes nothing.
    refused = await chat.ask(f"{HEADLINE_UK}\nlanguage: klingon")
    assert refused.plain == "language: use en, uk, ru.\n\nHeadline? (one line)"
    twice = await chat.ask(f"{HEADLINE_UK}\nlanguage: uk\nlanguage: ru")
    assert twice.plain.startswith("language: given twice; send it once.")
    # With the answer, as the typed form takes it (any case)...
    assert (await chat.ask(f"{HEADLINE_UK}\nLanguage: UK")).plain == when
    # ... or alone: noted, and the same question asked again.
    noted = await chat.ask("language: uk")
    assert noted.plain == f"🌐 Original language: uk\n\n{when}"
    async with bot.sessions() as session:
        (form,) = (await session.exec(select(Draft).where(Draft.status == "form"))).all()
    assert json.loads(form.payload)["values"] == {"headline": HEADLINE_UK, "language": "uk"}
    await chat.ask("3 June 2025")
    await chat.ask("/skip")  # summary
    await chat.ask("Reuters")
    preview = await chat.ask("/skip")  # tags
    typed = await chat.ask(f"/add {HEADLINE_UK}\ndate: 3 June 2025\nsource: Reuters\nlanguage: uk")
    assert "🌐 Original language: uk" in preview.plain and preview.plain == typed.plain
    ref = await save(chat, preview)
    async with bot.sessions() as session:
        row = await session.get(NewsUpdate, int(ref[1:]))
    assert row is not None and (row.headline, row.language) == (HEADLINE_UK, "uk")
    english = (await reader(bot, "en", 5003).ask("/latest 1")).plain
    assert f"— {HEADLINE_UK} 🌐 UK\n" in english


async def test_the_briefing_is_translated_per_subscriber_and_a_translation_is_no_correction(
    bot: Harness,
) -> None:
    chat = editor(bot)
    ref = await save(chat, await chat.ask(ADD))
    now = utcnow()
    at = f"{now.astimezone(ZoneInfo('Europe/Kyiv')) - dt.timedelta(minutes=5):%H:%M}"
    await reader(bot, "uk", 7002).ask(f"/subscribe {at} Київ")
    await reader(bot, "ru", 7003).ask(f"/subscribe {at} Киев")
    settings = bot.app.bot_data.settings
    assert settings is not None
    bot.api.clear()
    stats = await send_due_briefings(bot.app.bot, bot.sessions, settings, now=now)
    assert stats.sent == 2
    ukrainian = "\n".join(m.plain for m in bot.api.sent(7002))
    russian = "\n".join(m.plain for m in bot.api.sent(7003))
    assert f"— {HEADLINE_UK}\n{SUMMARY_UK}\n" in ukrainian and HEADLINE not in ukrainian
    assert f"— {HEADLINE} 🌐 EN\n" in russian and HEADLINE_UK not in russian

    async def notices() -> int:
        async with bot.sessions() as session:
            return len((await session.exec(select(CorrectionNotice))).all())

    # Both chats were sent the fact: a new translation tells them nothing, a correction does.
    translated = await chat.ask(f"/edit {ref}\nheadline ru: Переговорщики согласовали")
    assert "Will notify" not in translated.plain
    await save(chat, translated)
    assert await notices() == 0
    corrected = await chat.ask(f"/edit {ref}\nsummary: Safe passage for grain ships.")
    assert "📨 Will notify 2 chats that received it." in corrected.plain
    await save(chat, corrected)
    assert await notices() == 2


async def test_a_stance_and_its_label_are_read_in_the_readers_language(bot: Harness) -> None:
    chat = editor(bot)
    preview = await chat.ask(
        "/position\nparty: Turkey\nissue: NATO\nstance: Turkey backs Ukraine's NATO path\n"
        "label: backs membership\ndate: 3 June 2025\nsource: Reuters\nsupersedes: none\n"
        "stance uk: Туреччина підтримує шлях України до НАТО\nlabel uk: підтримує членство"
    )
    ref = await save(chat, preview)
    overview_uk = (await reader(bot, "uk", 5001).ask("/positions")).plain
    assert "Turkey: підтримує членство" in overview_uk
    overview_ru = (await reader(bot, "ru", 5002).ask("/positions")).plain
    assert "Turkey: backs membership" in overview_ru
    shown = (await reader(bot, "uk", 5001).ask(f"/show {ref}")).plain
    assert "Туреччина підтримує шлях України до НАТО" in shown
    found = (await reader(bot, "uk", 5001).ask("/search Туреччина")).plain
    assert "Туреччина підтримує шлях України до НАТО\n" in found and ref in found


async def test_translations_missing_pages_in_the_database_as_a_full_read_would_order_them(
    bot: Harness,
) -> None:
    from kinds.registry import SPECS
    from kinds.translations import missing_translations

    async with bot.sessions() as session:
        first = (await session.exec(select(NewsUpdate).order_by(col(NewsUpdate.id)))).all()
        translated = FactTranslation(
            fact_kind="update", fact_id=first[0].id or 0, field="headline", language="uk", text="Й"
        )
        session.add(translated)
        first[1].language = "uk"  # written in Ukrainian: nothing to translate into it
        first[2].retracted_at = utcnow()
        session.add_all(first[1:3])
        await session.commit()
        expected = []  # every live fact of every kind, read whole and sorted here
        for spec in SPECS:
            for row in (await session.exec(select(spec.table))).all():
                texts = [getattr(row, f) for f in spec.translatable if getattr(row, f)]
                if row.retracted_at is None and row.language != "uk" and texts:
                    expected.append((spec.fact_date(row), spec.kind.value, row.id, texts[0]))
        expected = [e for e in expected if (e[1], e[2]) != ("update", first[0].id)]
        expected.sort(reverse=True)
        assert len({e[1] for e in expected}) >= 4, "the seed should mix kinds"
        shown, offset, more = [], 0, True
        while more:
            page = await missing_translations(session, language="uk", limit=7, offset=offset)
            shown += [(u.date, u.kind.value, u.fact_id, u.title) for u in page.items]
            offset, more = offset + 7, page.has_more
    assert shown == expected
    ids = {(k, i) for _d, k, i, _t in shown}
    assert not ids & {("update", first[0].id), ("update", first[1].id), ("update", first[2].id)}
