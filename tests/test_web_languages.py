"""The web pages in the reader's language: `?lang=`, else Accept-Language, else English; fact
texts translated where a translation exists, the rest marked "🌐 EN"; caching varies by it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from core.i18n import translations
from kinds.update import NewsUpdate
from tests.conftest import make_settings
from tests.test_translations import ADD, HEADLINE, HEADLINE_UK, SUMMARY_UK, save
from tests.web_support import WebSite, edit_and_save, read, serve_site
from web.language import accepted
from web.present import value_text

SUMMARY_EN = "The sides agreed safe passage for ships."


@pytest.fixture
async def site(sqlite_url: str) -> AsyncIterator[WebSite]:
    """The seeded bot's pages, with one fact translated into Ukrainian (and not Russian)."""
    async for website in serve_site(make_settings(sqlite_url)):
        editor = website.editor()
        await save(editor, await editor.ask(ADD))
        yield website


async def translated_ref(site: WebSite) -> str:
    """The public id of the fact the fixture added (with its Ukrainian translation)."""
    async with site.bot.sessions() as session:
        row = (await session.exec(select(NewsUpdate).where(NewsUpdate.headline == HEADLINE))).one()
    return f"U{row.id}"


def html_lang(html: str) -> str:
    found = re.search(r'<html lang="([a-z]+)">', html)
    assert found, html[:200]
    return found.group(1)


async def test_a_page_asked_for_in_ukrainian_shows_the_translation_and_marks_the_rest(
    site: WebSite,
) -> None:
    ref = await translated_ref(site)
    status, html, headers = await site.get("/?lang=uk")
    page = read(html)
    assert status == 200 and html_lang(html) == "uk"
    assert f"\n{HEADLINE_UK}\n" in f"\n{page.text}\n" and SUMMARY_UK in page.text
    assert HEADLINE not in page.text and SUMMARY_EN not in page.text
    # The seed's facts have no Ukrainian text: shown as written, marked once each.
    others = [line for line in page.text.splitlines() if line.endswith("🌐 EN")]
    assert len(others) == 9  # 10 on the page, one of them translated
    uk = translations("uk").gettext
    assert uk("Latest updates") in page.text and uk("Latest updates") != "Latest updates"
    assert "Source:" not in page.text and "Positions" not in page.text  # the page's own words too
    # Links keep the language the address chose; the address does not vary by the header.
    assert page.link(HEADLINE_UK) == f"/web/fact/{ref}?lang=uk"
    assert page.link(uk("Older →")) == "/web/?page=2&lang=uk"
    assert "Vary" not in headers

    status, html, _ = await site.get(f"/fact/{ref}?lang=uk")
    fact = read(html)
    assert status == 200 and html_lang(html) == "uk"
    assert f"\n{HEADLINE_UK}\n" in fact.text and SUMMARY_UK in fact.text
    assert HEADLINE not in fact.text and "🌐" not in fact.text

    # Russian: nothing translated, so the original text with its marker.
    status, html, _ = await site.get(f"/fact/{ref}?lang=ru")
    fact = read(html)
    assert html_lang(html) == "ru" and f"\n{HEADLINE} 🌐 EN\n" in fact.text
    assert SUMMARY_EN in fact.text and HEADLINE_UK not in fact.text

    # English: as written, no marker anywhere.
    status, html, _ = await site.get("/?lang=en")
    assert html_lang(html) == "en" and HEADLINE in html and "🌐" not in html


async def test_without_lang_the_accept_language_header_chooses_and_caches_vary_by_it(
    site: WebSite,
) -> None:
    status, html, plain = await site.get("/")
    assert status == 200 and html_lang(html) == "en" and HEADLINE in html
    assert plain["Vary"] == "Accept-Language"

    header = "ru-RU;q=0.8, uk-UA;q=0.9, de;q=1, en;q=0.5"
    status, html, ukrainian = await site.get("/", **{"Accept-Language": header})
    page = read(html)
    assert html_lang(html) == "uk" and HEADLINE_UK in page.text
    assert ukrainian["Vary"] == "Accept-Language" and ukrainian["ETag"] != plain["ETag"]
    assert page.link(HEADLINE_UK) == f"/web/fact/{await translated_ref(site)}"
    # An English copy is not current for a Ukrainian reader, nor the other way round.
    status, body, _ = await site.get(
        "/", **{"Accept-Language": header, "If-None-Match": plain["ETag"]}
    )
    assert status == 200 and HEADLINE_UK in body
    status, body, _ = await site.get(
        "/", **{"Accept-Language": header, "If-None-Match": ukrainian["ETag"]}
    )
    assert (status, body) == (304, "")

    # ?lang= wins over the header; an unknown one is ignored.
    _, html, _ = await site.get("/?lang=ru", **{"Accept-Language": "uk"})
    assert html_lang(html) == "ru"
    _, html, _ = await site.get("/?lang=de", **{"Accept-Language": "uk"})
    assert html_lang(html) == "uk"


async def test_the_atom_feeds_stay_in_the_facts_own_language(site: WebSite) -> None:
    _, english, plain = await site.get("/feed.atom")
    _, body, headers = await site.get("/feed.atom?lang=uk", **{"Accept-Language": "uk"})
    assert HEADLINE in body and HEADLINE_UK not in body
    assert body == english and headers["ETag"] == plain["ETag"] and "Vary" not in headers


async def test_an_error_page_is_in_the_readers_language_too(site: WebSite) -> None:
    status, html, _ = await site.get("/fact/U9999?lang=uk")
    expected = translations("uk").gettext("There is no fact {ref}.").format(ref="U9999")
    assert status == 404 and html_lang(html) == "uk" and expected in read(html).text


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("uk-UA,uk;q=0.9,en-US;q=0.8", "uk"),
        ("de-DE, fr;q=0.9, ru;q=0.1", "ru"),
        ("de, fr;q=0.5, *;q=0.1", "en"),
        ("en;q=0, ru", "ru"),
        ("ru;q=0.7, uk;q=0.7", "ru"),  # equal quality: the first
        ("uk;q=abc, ru;q=0.2", "ru"),  # a broken quality counts as 0
        ("", "en"),
        ("UK", "uk"),
    ],
)
def test_accept_language_picks_the_supported_language_preferred_most(
    header: str, language: str
) -> None:
    assert accepted(header) == language


async def test_a_chart_is_in_the_language_its_address_names(site: WebSite) -> None:
    _, html, _ = await site.get("/rounds", **{"Accept-Language": "uk"})
    src = re.search(r'<img src="([^"]+)"', html)
    assert src and src.group(1) == "/web/charts/rounds.png?lang=uk"
    _, english, _ = await site.get("/rounds?lang=en", **{"Accept-Language": "uk"})
    assert '<img src="/web/charts/rounds.png"' in english
    # The picture follows its address, never the header: one PNG per address.
    async with site.client.get(src.group(1)) as resp:
        ukrainian = (resp.status, resp.headers["ETag"], await resp.read())
    headers = {"Accept-Language": "uk"}
    async with site.client.get("/web/charts/rounds.png", headers=headers) as resp:
        plain = (resp.status, resp.headers["ETag"], await resp.read())
        assert "Vary" not in resp.headers
    assert ukrainian[0] == plain[0] == 200
    assert ukrainian[1] != plain[1] and ukrainian[2] != plain[2]


@pytest.mark.parametrize("lang", ["uk", "ru"])
async def test_every_field_label_and_status_of_a_fact_page_is_translated(
    site: WebSite, lang: str
) -> None:
    labels: dict[str, list[str]] = {}
    for ref in ("U4", "P1", "X1", "R1", "D1"):
        english = (await site.get(f"/fact/{ref}?lang=en"))[1]
        html = (await site.get(f"/fact/{ref}?lang={lang}"))[1]
        labels[ref] = re.findall(r"<dt>([^<]*)</dt>", html)
        shown = dict(zip(re.findall(r"<dt>([^<]*)</dt>", english), labels[ref], strict=True))
        untranslated = [en for en, there in shown.items() if en == there]
        assert not untranslated, (ref, lang, untranslated)
    gettext = translations(lang).gettext
    status = {
        "uk": {"X1": "домовлено, ще не виконано", "D1": "передано"},
        "ru": {"X1": "договорённость, ещё не выполнена", "D1": "передано"},
    }
    for ref, word in status[lang].items():
        page = read((await site.get(f"/fact/{ref}?lang={lang}"))[1])
        assert f"{gettext('Status')}\n{word}" in page.text


async def test_an_error_page_keeps_the_readers_language_and_is_not_cached(site: WebSite) -> None:
    status, html, headers = await site.get("/fact/U999?lang=uk")
    page = read(html)
    uk = translations("uk").gettext
    assert status == 404 and html_lang(html) == "uk"
    assert page.link(uk("See the latest updates")) == "/web/?lang=uk"
    assert page.link(uk("Positions")) == "/web/positions?lang=uk"
    assert f"<title>{uk('There is no fact {ref}.').format(ref='U999')} · " in html
    assert headers["Cache-Control"] == "no-store" and "Vary" not in headers
    status, html, headers = await site.get("/nothing", **{"Accept-Language": "ru"})
    assert status == 404 and html_lang(html) == "ru"
    assert headers["Vary"] == "Accept-Language" and headers["Cache-Control"] == "no-store"


async def test_switching_language_stays_on_the_same_page_of_a_list(site: WebSite) -> None:
    page = read((await site.get("/?page=2&lang=uk"))[1])
    assert page.link("English") == "/web/?page=2&lang=en"
    assert page.link("Русский") == "/web/?page=2&lang=ru"
    assert read((await site.get("/rounds"))[1]).link("Українська") == "/web/rounds?lang=uk"


async def test_every_page_has_a_description_in_its_language(site: WebSite) -> None:
    for path in ("/", "/positions", "/exchanges", "/rounds", "/fact/U1", "/nothing"):
        for lang in ("en", "uk", "ru"):
            html = (await site.get(f"{path}?lang={lang}"))[1]
            found = re.search(r'<meta name="description" content="([^"]+)">', html)
            assert found, (path, lang)
            if lang != "en":
                assert not found.group(1).isascii(), (path, lang, found.group(1))
    html = (await site.get("/fact/U1"))[1]
    assert '<meta name="description" content="Update U1: Ukrainian drones strike' in html


async def test_an_added_translation_is_named_in_the_history_and_corrections_feed(
    site: WebSite,
) -> None:
    await edit_and_save(site.editor(), "/edit U1\nheadline uk: Дрони вдарили по бомбардувальниках")
    page = read((await site.get("/fact/U1"))[1])
    change = "Headline (UK translation): — → Дрони вдарили по бомбардувальниках"
    assert f"corrected\n{change}" in page.text
    feed = (await site.get("/corrections.atom"))[1]
    assert change in feed and "Details corrected." not in feed


async def test_text_shown_as_written_says_its_language_for_screen_readers(site: WebSite) -> None:
    ref = await translated_ref(site)
    html = (await site.get("/?lang=uk"))[1]
    assert f'<a href="/web/fact/{ref}?lang=uk">{HEADLINE_UK}</a>' in html  # translated: no lang
    assert '<a href="/web/fact/U4?lang=uk" lang="en">Sides agree a new' in html
    assert '<p lang="en">Ukraine&#39;s delegation head' in html
    assert '<p lang="en">Says the children in question' in (await site.get("/positions?lang=ru"))[1]
    fact = (await site.get("/fact/U1?lang=uk"))[1]
    assert '<h1 lang="en">Ukrainian drones strike' in fact
    assert '<dd lang="en">On 1 June Ukraine staged' in fact
    english = (await site.get("/?lang=en"))[1] + (await site.get("/fact/U1?lang=en"))[1]
    assert english.count(' lang="en"') == 2  # the two <html> elements, nothing else


async def test_an_events_time_of_day_says_it_is_local_time(site: WebSite) -> None:
    await edit_and_save(site.editor(), "/edit R1\ntime: 14:30")
    assert "Local time\n14:30" in read((await site.get("/fact/R1"))[1]).text
    assert "Місцевий час\n14:30" in read((await site.get("/fact/R1?lang=uk"))[1]).text


async def test_every_page_names_its_other_language_versions_for_search_engines(
    site: WebSite,
) -> None:
    pages = {
        "/positions": "/web/positions?",
        "/?page=2": "/web/?page=2&amp;",
        "/nothing": "/web/nothing?",
    }
    for path, prefix in pages.items():
        html = (await site.get(path))[1]
        for code in ("en", "uk", "ru"):
            link = f'<link rel="alternate" hreflang="{code}" href="{prefix}lang={code}">'
            assert link in html, (path, code)


def test_a_stored_text_that_only_looks_like_a_date_reads_as_typed() -> None:
    """A history value such as a title '2025-02-30' is shown as typed, not a server error."""
    assert value_text("2025-06-02") != "2025-06-02"  # a real day reads as a date
    assert value_text("2025-02-30") == "2025-02-30"
    assert value_text("2025-01-01T25:61") == "2025-01-01T25:61"
