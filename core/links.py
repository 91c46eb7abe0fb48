"""Links to the public web pages (WEB_BASE_URL): one place that knows their addresses."""

from __future__ import annotations

from core.settings import Settings

FACT_PATH = "fact/"


def fact_path(ref: str) -> str:
    """A fact's page relative to the pages' root, e.g. 'fact/U12'."""
    return FACT_PATH + ref


def fact_url(settings: Settings, ref: str) -> str | None:
    """The public address of a fact's page (e.g. U12), or None when WEB_BASE_URL is unset."""
    if not settings.web_base_url:
        return None
    return f"{settings.web_base_url}/{fact_path(ref)}"
