"""Command families; `add_handlers` wires them in order."""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    broadcast,
    bulk,
    channels,
    charts,
    corrections,
    curate,
    drafts,
    errors,
    exchanges,
    fallback,
    inline,
    kind_lists,
    language,
    latest,
    open_forms,
    positions,
    rounds,
    search,
    show,
    start,
    subscriptions,
    translations,
)


def add_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Register every handler; order matters, since the first matching handler wins."""
    # The chat's language first (its own group, ahead of everything), then subscribers'
    # commands and their page buttons.
    language.register(app)
    readers = (start, latest, positions, exchanges, rounds, charts, kind_lists, search, show)
    for family in (*readers, subscriptions):
        family.register(app)
    inline.register(app)  # inline queries (`@bot words`), from any chat
    # Editors' commands: each handler checks the sender itself. The guided-form conversation
    # answers and draft corrections run in group -1, ahead of the catch-alls, so they are not
    # taken for free text; open forms live in the database and expire there.
    editors = (curate, drafts, open_forms, corrections, bulk, broadcast, channels, translations)
    for family in editors:
        family.register(app)
    # Catch-alls last: unknown commands and free text only reach these.
    fallback.register(app)
    errors.register(app)
