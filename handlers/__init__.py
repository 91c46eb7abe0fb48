"""Command families; `add_handlers` wires them in order."""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    broadcast,
    bulk,
    charts,
    corrections,
    curate,
    drafts,
    errors,
    exchanges,
    fallback,
    kind_lists,
    latest,
    open_forms,
    positions,
    rounds,
    search,
    start,
    subscriptions,
)


def add_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Register every handler; order matters, since the first matching handler wins."""
    # Subscribers' commands and their page buttons first.
    readers = (start, latest, positions, exchanges, rounds, charts, kind_lists, search)
    for family in (*readers, subscriptions):
        family.register(app)
    # Editors' commands: each handler checks the sender itself. The guided-form conversation
    # answers and draft corrections run in group -1, ahead of the catch-alls, so they are not
    # taken for free text; open forms live in the database and expire there.
    for family in (curate, drafts, open_forms, corrections, bulk, broadcast):
        family.register(app)
    # Catch-alls last: unknown commands and free text only reach these.
    fallback.register(app)
    errors.register(app)
