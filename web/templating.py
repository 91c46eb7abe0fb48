"""The Jinja2 environment of the web pages: autoescaped templates, date and number filters."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from core.dates import format_date, format_date_range
from core.i18n import _, current_language, ngettext
from core.text import number
from kinds.common import key_label
from kinds.exchange_tables import is_bodies
from kinds.exchange_totals import YearTotals
from kinds.extras import NO_EXTRAS, FactExtras, when_text
from kinds.translations import localized, original_marker
from kinds.vocabulary import labels_text
from web.feeds import rfc3339

TEMPLATES = Path(__file__).with_name("templates")


def format_stamp(at: dt.datetime) -> str:
    """A moment in UTC nobody can misread, e.g. 'Mon 2 Jun 2025 14:03 UTC'."""
    at = at.astimezone(dt.UTC)
    return f"{format_date(at.date())} {at:%H:%M} UTC"


def fact_when(start: dt.date, view: object = None, end: dt.date | None = None) -> str:
    """A listed fact's date as precise as its sources: 'Mon 2 Jun 2025', 'May 2025', '~…'."""
    extras: FactExtras = getattr(view, "extras", NO_EXTRAS)
    return when_text(start, extras, end)


def when_attr(start: dt.date, view: object = None) -> str:
    """The `datetime` of a fact's <time>: '2025-05' for a month, else its (first) day."""
    when = getattr(view, "extras", NO_EXTRAS).when
    return f"{start:%Y-%m}" if when is not None and when.precision == "month" else start.isoformat()


def text_lang(view: object, field: str) -> Markup:
    """` lang="en"` on a listed fact's text shown as written, not in the page's language (so a
    screen reader reads it in its own language); nothing when it is in the page's language."""
    extras: FactExtras = getattr(view, "extras", NO_EXTRAS)
    language = current_language()
    if extras.language == language or any(
        lang == language and name == field for lang, name, _text in extras.translations
    ):
        return Markup("")
    return Markup(' lang="{}"').format(extras.language)


def differ_fields(view: object) -> str:
    """The fields other sources report otherwise ('Duration, Date'), '' when they agree."""
    extras: FactExtras = getattr(view, "extras", NO_EXTRAS)
    return ", ".join(key_label(field) for field in extras.fields())


def bodies_total(year: YearTotals) -> Markup:
    """A year's bodies returned, counted apart from living people, as the bot's /exchanges says."""
    sides = " · ".join(f"{c.party}: {c.bodies_text()}" for c in year.bodies)
    handovers = ngettext("{n} handover", "{n} handovers", year.body_returns).format(
        n=number(year.body_returns)
    )
    # The catalog's own <i>; the party names are escaped by Markup.format.
    return Markup(_("<i>and, counted apart, bodies returned</i> ({handovers}): {sides}")).format(
        handovers=handovers, sides=sides or _("numbers not announced")
    )


def make_environment() -> Environment:
    """The template environment: every value escaped unless marked safe, undefined names fail."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates are read once at start (see `preload`), never checked again per request.
        auto_reload=False,
    )
    # A fact's text in the page's language where translated, else with its " 🌐 EN" marker;
    # exchange categories and document types in it where they are common words (labels_text).
    env.globals.update(_=_, ngettext=ngettext, localized=localized, marker=original_marker)
    env.globals.update(fact_when=fact_when, when_attr=when_attr, text_lang=text_lang)
    env.globals.update(differ_fields=differ_fields, is_bodies=is_bodies)
    env.globals.update(bodies_total=bodies_total, labels_text=labels_text)
    env.filters.update(
        day=format_date,
        day_range=format_date_range,
        stamp=format_stamp,
        iso=rfc3339,
        number=number,
    )
    css = (TEMPLATES / "style.css").read_text(encoding="utf-8").strip()
    env.globals["css"] = Markup(css)  # our own file, never stored data
    env.globals["css_hash"] = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return env


def preload(env: Environment) -> None:
    """Compile every template now, so no request reads a file on the event loop."""
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)


def code_version() -> str:
    """A digest of the templates and this package's code: part of every ETag, so a new
    release never answers 304 with pages an older one rendered."""
    digest = hashlib.sha256()
    for path in sorted([*TEMPLATES.iterdir(), *Path(__file__).parent.glob("*.py")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
