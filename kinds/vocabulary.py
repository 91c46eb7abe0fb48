"""The common words editors type as labels: who an exchange returned, what type a document is.

Labels are stored, exported and searched exactly as typed; only what a reader sees changes. A
label that is one of these words (any case, spaces around it ignored) reads in the reader's
language; any other label reads as typed.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.i18n import N_, _

# Who an exchange returned (an exchange's `categories`; "bodies" is an exchange of its own).
CATEGORY_WORDS = (
    N_("soldiers"),
    N_("civilians"),
    N_("prisoners of war"),
    N_("severely wounded"),
    N_("wounded"),
    N_("seriously ill"),
    N_("young people"),
    N_("children"),
    N_("bodies"),
    N_("officers"),
    N_("national guard"),
    N_("border guards"),
)
# What a document is (a document's `type`).
DOCUMENT_TYPES = (
    N_("memorandum"),
    N_("roadmap"),
    N_("draft"),
    N_("proposal"),
    N_("declaration"),
    N_("statement"),
    N_("joint statement"),
    N_("plan"),
    N_("peace plan"),
    N_("framework"),
    N_("agreement"),
    N_("ceasefire proposal"),
    N_("security guarantees"),
)
_KNOWN = {word.casefold(): word for word in (*CATEGORY_WORDS, *DOCUMENT_TYPES)}


def label_text(label: str) -> str:
    """A stored label in the reader's language when it is a declared word, else as typed."""
    word = _KNOWN.get(label.strip().casefold())
    if word is None:
        return label
    shown = _(word)
    if shown == word:  # English, or a word not translated yet: exactly as the editor typed it
        return label
    typed = label.strip()
    return shown[:1].upper() + shown[1:] if typed[:1].isupper() else shown


def labels_text(labels: Iterable[str]) -> list[str]:
    """Several stored labels, each as `label_text` shows it."""
    return [label_text(label) for label in labels]
