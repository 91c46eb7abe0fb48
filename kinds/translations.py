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

from sqlalchemy import String, func, literal, null, union_all
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


def translation_mistake(spec: KindSpec[Any, Any, Any], typed: str) -> str | None:
    """Why a name such as 'tags uk' or 'headline de' (a field and a language code) names no
    translation; None for any other name, and for a name `translation_field` takes."""
    name, _sep, lang = canon(typed).rpartition(" ")
    field = next(
        (f for f in spec.all_fields if name in (f.name, *(canon(a) for a in f.aliases))), None
    )
    if field is None or len(lang) != 2 or not lang.isalpha():
        return None
    if lang not in LANGUAGES:
        return _("{given}: no language “{language}”; use {options}.").format(
            given=typed.strip(), language=lang, options=", ".join(LANGUAGES)
        )
    if field.name not in spec.translatable:
        return _("{given}: {field} is not translated; these are: {fields}.").format(
            given=typed.strip(), field=field.name, fields=", ".join(spec.translatable) or "—"
        )
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
    """Live facts written in another language with no translation into `language`, newest first.

    One statement, paged in the database: each kind gives its newest `offset + limit + 1`
    candidates (by its date index), and the union of those is sorted and cut to the page, so
    a page costs the same however many facts the store holds.
    """
    from kinds.registry import SPECS  # the registry imports the kinds, which import this module

    wanted = offset + limit + 1
    branches = []
    for spec in SPECS:
        if not spec.translatable:
            continue
        table: Any = spec.table
        day = col(getattr(table, spec.date_attr))
        # Its first text of its own (a fact with none has nothing to translate).
        title = func.coalesce(
            *(func.nullif(getattr(table, f), "") for f in spec.translatable), null()
        )
        newest = (
            select(
                literal(spec.kind.value, String).label("kind"),
                col(table.id).label("fact_id"),
                day.label("day"),
                title.label("title"),
            )
            .where(
                col(table.retracted_at).is_(None),
                table.language != language,
                untranslated(spec.kind, table.id, language),
                title.is_not(None),
            )
            .order_by(day.desc(), col(table.id).desc())
            .limit(wanted)
            .subquery()
        )
        branches.append(newest.select())
    merged = union_all(*branches).subquery()
    rows = await session.exec(
        select(merged.c.kind, merged.c.fact_id, merged.c.day, merged.c.title)
        .order_by(merged.c.day.desc(), merged.c.kind.desc(), merged.c.fact_id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    found = [
        Untranslated(FactKind(kind), int(fact_id), _as_date(day), str(title))
        for kind, fact_id, day, title in rows
    ]
    return page_of(found, offset=offset, limit=limit)


def _as_date(value: Any) -> dt.date:
    # A union's column may come back as text on SQLite.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


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
