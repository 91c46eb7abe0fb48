"""The language of a web page: `?lang=uk|ru|en`, else the browser's Accept-Language, else English.

Fact texts show in that language where a translation exists (with the bot's "🌐 EN" marker where
not); the Atom feeds stay in the facts' own language.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from core.i18n import DEFAULT_LANGUAGE, LANGUAGES, supported

MAX_RANGES = 20  # an Accept-Language header longer than this is read no further


@dataclass(frozen=True, slots=True)
class PageLanguage:
    """The page's language and whether the address chose it (else the browser's header did)."""

    code: str
    explicit: bool

    @property
    def query(self) -> str:
        """`lang=uk` to carry on the page's links when the address chose it, else ''."""
        return f"lang={self.code}" if self.explicit else ""


def accepted(header: str | None) -> str:
    """The supported language the browser prefers most (RFC 9110 quality values), else English."""
    choices: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")[:MAX_RANGES]):
        tag, *params = (p.strip() for p in item.split(";"))
        quality = 1.0
        for param in params:
            name, _sep, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        base = tag.split("-")[0].lower()
        if base in LANGUAGES and 0 < quality <= 1:  # "*" and other languages choose nothing
            choices.append((quality, -position, base))  # the first of the highest quality wins
    return max(choices)[2] if choices else DEFAULT_LANGUAGE


LANGUAGE_KEY = web.RequestKey("page_language", PageLanguage)


def choose_language(request: web.Request) -> PageLanguage:
    """`?lang=` when it names a supported language, else the Accept-Language header."""
    asked = request.query.get("lang", "").strip().lower()
    if asked in LANGUAGES:
        return PageLanguage(supported(asked), explicit=True)
    return PageLanguage(accepted(request.headers.get("Accept-Language")), explicit=False)


def page_language(request: web.Request) -> PageLanguage:
    """The language the site's middleware chose for this request."""
    return request.get(LANGUAGE_KEY) or PageLanguage(DEFAULT_LANGUAGE, explicit=False)


def with_language(url: str, language: PageLanguage) -> str:
    """`url` with `lang=` added when the address chose the language (links keep the choice)."""
    if not language.explicit:
        return url
    return f"{url}{'&' if '?' in url else '?'}{language.query}"
