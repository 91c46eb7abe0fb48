"""Editors' `field: value` forms for any kind: parsing, validation into a draft, one answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from core.i18n import LANGUAGES, _
from core.text import number
from kinds.base import FactKind
from kinds.day_order import build_day
from kinds.forms import (
    ALSO,
    ALSO_LINE,
    FIELD_LINE,
    MAX_FIELD_LENGTH,
    URLISH,
    Checker,
    FieldSpec,
    FormContext,
    canon,
)
from kinds.registry import spec_for
from kinds.translations import form_translations, translation_field, translation_mistake
from store.transfer import IssueIn, PartyIn

LANGUAGE = "language"  # the form key of the language a fact's own text is in

__all__ = ["Draft", "FormContext", "build_draft", "check_field", "parse_form"]


def _too_long(name: str, value: str) -> str:
    return _("{field}: too long ({length} characters, at most {limit}).").format(
        field=name, length=number(len(value)), limit=number(3000)
    )


def field_for(kind: FactKind, typed: str) -> FieldSpec | None:
    """The field an editor meant by `typed` (name or alias, any case)."""
    wanted = canon(typed)
    for spec in spec_for(kind).all_fields:
        if wanted == spec.name or wanted in (canon(a) for a in spec.aliases):
            return spec
    return None


@dataclass
class ParsedForm:
    """Raw field values typed by an editor, and what was wrong with the form itself."""

    values: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def parse_form(kind: FactKind, text: str, *, has_command: bool = True) -> ParsedForm:
    """Split a message into `field: value` lines (a lead line after the command is allowed)."""
    form = ParsedForm()
    lines = text.replace("\r\n", "\n").split("\n")
    if has_command and lines:
        first = lines.pop(0).split(maxsplit=1)
        lead = first[1].strip() if len(first) > 1 else ""
        if lead:
            form.values[spec_for(kind).lead_field] = lead
    current: str | None = None
    for line in lines:
        if not line.strip():
            continue
        also = ALSO_LINE.match(line)
        if also is not None:
            # Another source's value of a field: kept one per line under "also".
            entry = f"{also.group(1).strip()}: {also.group(2).strip()}"
            form.values[ALSO] = "\n".join(filter(None, [form.values.get(ALSO), entry]))
            current = None
            continue
        match = FIELD_LINE.match(line)
        spec = field_for(kind, match.group(1)) if match else None
        own = _own_line(kind, match.group(1)) if match and spec is None else None
        if match and own is not None:
            # `headline uk: …` (a translation) or `language: uk` (the text's own language).
            if own in form.values:
                form.errors.append(_("{field}: given twice; send it once.").format(field=own))
                continue
            form.values[own] = match.group(2).strip()
            current = own
            continue
        mistake = translation_mistake(spec_for(kind), match.group(1)) if match else None
        if match and spec is None and mistake is not None:
            form.errors.append(mistake)
            current = None
            continue
        if match and spec is None and not URLISH.match(line.strip()):
            names = ", ".join(s.name for s in spec_for(kind).all_fields)
            form.errors.append(
                _("Unknown field “{given}”. Fields: {names}.").format(
                    given=match.group(1).strip(), names=names
                )
            )
            current = None
            continue
        if match and spec is not None:
            value = match.group(2).strip()
            if spec.name in form.values and spec.name != "source":
                form.errors.append(_("{field}: given twice; send it once.").format(field=spec.name))
                continue
            if spec.name == "source" and spec.name in form.values:
                value = f"{form.values['source']}; {value}"
            form.values[spec.name] = value
            current = spec.name
        elif current is not None:
            # A line without "field:" continues the previous field (long summaries, outcomes).
            form.values[current] = f"{form.values[current]}\n{line.strip()}"
        else:
            form.errors.append(
                _("I couldn't read “{given}”: write each field as `name: value`.").format(
                    given=line.strip()[:40]
                )
            )
    for name, value in form.values.items():
        if len(value) > MAX_FIELD_LENGTH:
            form.errors.append(_too_long(name, value))
    return form


def _own_line(kind: FactKind, typed: str) -> str | None:
    """The form key of a translation line ('headline uk') or of `language`; None otherwise."""
    if canon(typed) == LANGUAGE:
        return LANGUAGE
    target = translation_field(spec_for(kind), typed)
    return f"{target[0]} {target[1]}" if target else None


def is_field_line(line: str) -> bool:
    """True for a `name: value` line naming a field of any kind, or a `FIELD also:` line."""
    if ALSO_LINE.match(line):
        return True
    match = FIELD_LINE.match(line)
    return match is not None and any(
        field_for(kind, match.group(1)) or _own_line(kind, match.group(1)) for kind in FactKind
    )


@dataclass
class Draft:
    """A validated fact ready to preview, with new parties/issues it would create."""

    kind: FactKind
    item: Any
    new_parties: list[PartyIn] = field(default_factory=list)
    new_issues: list[IssueIn] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # key -> display name


def build_draft(kind: FactKind, values: Mapping[str, str], ctx: FormContext) -> Draft | list[str]:
    """Validate typed values into a fact; return every problem at once when there are any."""
    spec = spec_for(kind)
    check = Checker(ctx)
    missing = [f.name for f in spec.fields if f.required and not values.get(f.name, "").strip()]
    problems = [_("Missing: {fields}.").format(fields=", ".join(missing))] if missing else []
    data: dict[str, Any] = {"sources": check.sources(values.get("source"))}
    data |= spec.build(values, check) | build_day(values, check)
    data |= check.precision()
    if values.get(ALSO, "").strip():
        data["alternatives"] = check.alternatives(values[ALSO], spec.fields)
    texts = form_translations(spec, values)
    if texts:
        data["translations"] = texts
    language = canon(values.get(LANGUAGE, ""))
    if language and (problem := language_problem(language)):
        check.errors.append(problem)
    elif language and language != "en":
        data["language"] = language
    problems += check.errors
    if problems:
        return problems
    try:
        item = spec.input.model_validate(data)
    except ValidationError as exc:
        return [_validation_problem(e) for e in exc.errors()]
    return Draft(
        kind=kind,
        item=item,
        new_parties=list(check.new_parties.values()),
        new_issues=list(check.new_issues.values()),
        notes=check.notes,
        names=check.names,
    )


def language_problem(typed: str) -> str | None:
    """What is wrong with a typed `language:` value (the fact's own text's), or None."""
    if canon(typed) in LANGUAGES:
        return None
    return _("language: use {options}.").format(options=", ".join(LANGUAGES))


def _validation_problem(error: Any) -> str:
    """A problem the input model found, in the reader's words where it is a common one."""
    field = ".".join(str(p) for p in error["loc"])
    if error["type"] == "string_too_long" and isinstance(error.get("input"), str):
        return _("{field}: at most {most} characters (got {n}).").format(
            field=field, most=error["ctx"]["max_length"], n=len(error["input"])
        )
    return f"{field}: {error['msg']}"


def check_field(kind: FactKind, name: str, value: str, ctx: FormContext) -> list[str]:
    """Problems with one answer of the guided form (the rest is checked at the preview)."""
    if len(value) > MAX_FIELD_LENGTH:
        return [_too_long(name, value)]
    spec = field_for(kind, name)
    check = Checker(ctx)
    if spec is not None and spec.check is not None:
        spec.check(check, value)
    return check.errors


def merge_values(before: Mapping[str, str], typed: Mapping[str, str]) -> dict[str, str]:
    """A correction's values: typed fields replace stored ones, `also` lines are added to them.

    `FIELD also: none` drops the versions other sources gave for that field.
    """
    merged = {**before, **typed}
    lines = [*before.get(ALSO, "").split("\n"), *typed.get(ALSO, "").split("\n")]
    kept: list[str] = []
    for line in filter(str.strip, lines):
        name, _colon, value = line.partition(":")
        if canon(value) in ("none", "-", "nothing"):
            kept = [k for k in kept if canon(k.partition(":")[0]) != canon(name)]
        elif line not in kept:
            kept.append(line)
    merged[ALSO] = "\n".join(kept)
    return {k: v for k, v in merged.items() if v or k != ALSO}


@dataclass
class Answer:
    """One answer of the guided form: its value, its `FIELD also:` lines (as the `also` value),
    its translations by form key ('headline uk'), the language of the fact's own text
    (`language: uk`), and what was wrong with those lines."""

    value: str
    also: str = ""
    translations: dict[str, str] = field(default_factory=dict)
    language: str = ""
    problems: list[str] = field(default_factory=list)


def split_answer(kind: FactKind, text: str) -> Answer:
    """A guided answer without its `FIELD also:`, `FIELD LANG: text` and `language:` lines, read
    as the typed form reads them (a line without `name:` after a translation continues it)."""
    kept: list[str] = []
    answer = Answer("")
    also: list[str] = []
    current: str | None = None
    for line in text.replace("\r\n", "\n").split("\n"):
        match = ALSO_LINE.match(line)
        if match is not None:
            also.append(f"{match.group(1).strip()}: {match.group(2).strip()}")
            current = None
            continue
        match = FIELD_LINE.match(line)
        key = _own_line(kind, match.group(1)) if match else None
        if match and key == LANGUAGE:
            typed = canon(match.group(2))
            if answer.language:
                answer.problems.append(_("{field}: given twice; send it once.").format(field=key))
            elif problem := language_problem(typed):
                answer.problems.append(problem)
            answer.language, current = typed, None
        elif match and key is not None:
            if key in answer.translations:
                answer.problems.append(_("{field}: given twice; send it once.").format(field=key))
            answer.translations[key] = match.group(2).strip()
            current = key
        elif match and (mistake := translation_mistake(spec_for(kind), match.group(1))):
            answer.problems.append(mistake)
            current = None
        elif current is not None and line.strip():
            answer.translations[current] = f"{answer.translations[current]}\n{line.strip()}"
        elif current is None:
            kept.append(line)
    for key, value in answer.translations.items():
        if not value:
            answer.problems.append(_("{field}: the translation is empty.").format(field=key))
        elif len(value) > MAX_FIELD_LENGTH:
            answer.problems.append(_too_long(key, value))
    answer.value, answer.also = "\n".join(kept).strip(), "\n".join(also)
    return answer
