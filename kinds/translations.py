"""Facts in several languages: which text a reader sees, the marker of an untranslated fact, and
the `FIELD LANG: text` lines editors type (`headline uk: …`).

A kind names its free-text fields once (`KindSpec.translatable`); the texts live in one table
for every kind (`store/translations.py`) and every view carries them in `extras.translations`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import LANGUAGES, N_, _, current_language
from core.text import clip, esc
from kinds.base import FactKind, KindSpec
from kinds.extras import NO_EXTRAS, FactExtras
from kinds.forms import canon
from store.queries import page_of
from store.translations import Texts, untranslated
from store.views import Page

NONE_WORDS = ("none", "-", "nothing")
# Snapshot keys that are no correction of the fact: readers are not told when only these change.
TRANSLATION_KEYS = frozenset({"translations", "language"})
TRANSLATIONS_LABEL = N_("Translations")
TRANSLATE_HELP = N_(
    "Add a translation with lines such as “headline uk: …” (languages: uk, ru, en); "
    "“headline uk: none” removes one."
)


def localized(view: Any, field: str) -> str:
    """A view's text field in the reader's language where a translation exists, else as stored."""
    extras: FactExtras = getattr(view, "extras", NO_EXTRAS)
    return localized_text(extras.translations, extras.language, field, getattr(view, field, None))


def localized_text(texts: Texts, original: str, field: str, value: Any) -> str:
    """One field in the reader's language from a fact's translations, else `value` as stored."""
    language = current_language()
    if language != original:
        for lang, name, text in texts:
            if lang == language and name == field:
                return text
    return str(value or "")


def marker_for(original: str, translated: bool) -> str:
    """' 🌐 EN' when the reader's language is not the fact's and nothing is translated."""
    if translated or current_language() == original:
        return ""
    return f" 🌐 {original.upper()}"


def original_marker(view: Any) -> str:
    """The marker after a view's headline: ' 🌐 EN' for a fact not translated for this reader."""
    extras: FactExtras = getattr(view, "extras", NO_EXTRAS)
    language = current_language()
    return marker_for(extras.language, any(lang == language for lang, *_r in extras.translations))


def localized_snapshot(snap: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """An audit snapshot with its text fields in the reader's language, and the marker (/show)."""
    original = str(snap.get("language") or "en")
    texts = (snap.get("translations") or {}).get(current_language()) or {}
    return {**snap, **texts}, marker_for(original, bool(texts))


def translation_field(spec: KindSpec[Any, Any, Any], typed: str) -> tuple[str, str] | None:
    """(field, language) for a typed name such as 'headline uk' or 'Title RU'; None otherwise."""
    name, _sep, lang = canon(typed).rpartition(" ")
    if lang not in LANGUAGES or not name:
        return None
    for field in spec.all_fields:
        if field.name in spec.translatable and (
            name == field.name or name in (canon(a) for a in field.aliases)
        ):
            return field.name, lang
    return None


def form_translations(
    spec: KindSpec[Any, Any, Any], values: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """The `FIELD LANG` values of a form as {language: {field: text}} (“none” drops one)."""
    found: dict[str, dict[str, str]] = {}
    for key, text in values.items():
        target = translation_field(spec, key)
        if target is not None and text.strip() and canon(text) not in NONE_WORDS:
            field, lang = target
            found.setdefault(lang, {})[field] = text.strip()
    return found


def translation_problems(spec: KindSpec[Any, Any, Any], item: Any, label: str) -> list[str]:
    """Fields of an item's translations its kind does not translate (for imports)."""
    allowed = ", ".join(spec.translatable) or "none"
    return [
        f"{label}: translations: {lang}: {name!r} is not translated (fields: {allowed})"
        for lang, fields in (item.translations or {}).items()
        for name in fields
        if name not in spec.translatable
    ]


def preview_lines(item: Any) -> list[str]:
    """The translations a draft carries, one line each, for the editor's preview (HTML)."""

    lines = [
        f"🌐 <b>{esc(name)} {esc(lang)}:</b> {esc(clip(text, 200))}"
        for lang, fields in sorted((item.translations or {}).items())
        for name, text in fields.items()
    ]
    if item.language and item.language != "en":
        lines.insert(0, _("🌐 Original language: {language}").format(language=item.language))
    return lines


@dataclass(frozen=True, slots=True)
class Untranslated:
    """A live fact with no translation into a language: its kind, id, date and title."""

    kind: FactKind
    fact_id: int
    date: dt.date
    title: str


async def missing_translations(
    session: AsyncSession, *, language: str, limit: int, offset: int = 0
) -> Page[Untranslated]:
    """Live facts written in another language with no translation into `language`, newest first."""
    from kinds.registry import SPECS  # the registry imports the kinds, which import this module

    found: list[Untranslated] = []
    for spec in SPECS:
        table: Any = spec.table
        rows = await session.exec(
            select(table).where(
                col(table.retracted_at).is_(None),
                table.language != language,
                untranslated(spec.kind, table.id, language),
            )
        )
        for row in rows:
            texts = [str(t) for t in (getattr(row, f) for f in spec.translatable) if t]
            if texts:  # a fact with no text of its own has nothing to translate
                found.append(Untranslated(spec.kind, row.id, spec.fact_date(row), texts[0]))
    found.sort(key=lambda u: (u.date, u.kind.value, u.fact_id), reverse=True)
    return page_of(found[offset:], offset=offset, limit=limit)


def translation_template(spec: KindSpec[Any, Any, Any], item: Any) -> str:
    """`FIELD LANG: text` lines for every text field and other language, to copy and translate
    (a stored translation where there is one, else the original text)."""
    original = item.language or "en"
    texts = item.translations or {}
    return "\n".join(
        f"{name} {lang}: {texts.get(lang, {}).get(name) or value}"
        for lang in LANGUAGES
        if lang != original
        for name in spec.translatable
        if (value := getattr(item, name, None))
    )
