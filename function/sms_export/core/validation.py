"""Raw rows → valid triples and rejections with reasons a person understands (pure)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from sms_export.core.jsontext import RepeatedKeys
from sms_export.core.models import (
    FIELDS,
    ID_FIELDS,
    MAX_FIELD_LENGTH,
    IdFormat,
    Rejection,
    Triple,
    TripleFields,
    first_forbidden_character,
    is_sms_id,
)
from sms_export.core.rows import RawRow, Unparsed


@dataclass
class CheckedRows:
    valid: list[Triple] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def _forbidden(name: str, value: Any) -> str:
    position, character = first_forbidden_character(str(value).strip()) or (0, "?")
    if unicodedata.category(character) == "Cc":
        what = f"a control character (U+{ord(character):04X})"
    else:
        label = unicodedata.name(character, "").title()
        what = f"a format character (U+{ord(character):04X} {label})"
    return f"{name} contains {what} at position {position}"


def _surrogate(name: str, value: Any) -> str:
    text = str(value).strip()  # a direct invocation can carry a lone surrogate
    position = next(i for i, ch in enumerate(text, 1) if "\ud800" <= ch <= "\udfff")
    return f"{name} is not valid Unicode: a lone surrogate at position {position}"


# pydantic's error type → the reason an operator reads, from the field's name and value.
REASONS: dict[str, Callable[[str, Any], str]] = {
    "missing": lambda name, value: f"{name} is missing",
    "string_too_short": lambda name, value: f"{name} is empty",
    "string_too_long": lambda name, value: (
        f"{name} is longer than {MAX_FIELD_LENGTH} characters ({len(str(value).strip())})"
    ),
    "string_type": lambda name, value: (
        f"{name} must be text, not {type(value).__name__} ({value!r:.40})"
    ),
    "string_pattern_mismatch": _forbidden,
    "string_unicode": _surrogate,
}


def _describe(error: ErrorDetails, fields: Mapping[str, Any]) -> str:
    name = str(error["loc"][0])  # the input is always a mapping: errors are of its fields
    reason = REASONS.get(error["type"])
    return reason(name, fields.get(name)) if reason else f"{name}: {error['msg']}"


def _id_problem(name: str, value: str, id_format: IdFormat) -> str | None:
    """Ids are ASCII in any format: a fullwidth digit or dash (an input method, a web page)
    looks like the real one and would be exported raw; in the default format, a UUID."""
    outside = next(((i, ch) for i, ch in enumerate(value, 1) if not ch.isascii()), None)
    if outside is not None:
        position, character = outside
        label = unicodedata.name(character, "unnamed").title()
        return (
            f"{name} contains a non-ASCII character (U+{ord(character):04X} {label}) at "
            f"position {position}: SMS ids are ASCII, type it again"
        )
    if id_format == "uuid" and not is_sms_id(value):
        return (
            f"{name} is not an SMS id: {value!r:.60} is not a UUID such as "
            "4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c11 (ID_FORMAT=any accepts other ids)"
        )
    return None


def _ids_fit(triple: Triple, id_format: IdFormat) -> bool:
    if id_format == "uuid":  # the common case, checked in C: rows are many
        return is_sms_id(triple.task_id) and is_sms_id(triple.source_id)
    return triple.task_id.isascii() and triple.source_id.isascii()


def _canonical(triples: list[Triple], id_format: IdFormat) -> list[Triple]:
    """UUIDs in lower case, the form SMS gives its ids in: the same id typed in upper case
    (a spreadsheet's UPPER(), another tool's export) is then one id, found a duplicate and
    exported once, and SMS is asked about the id as it knows it. Ids of ID_FORMAT=any are
    opaque: they are kept, and compared, exactly as given."""
    if id_format != "uuid":
        return triples
    return [Triple(task.lower(), source.lower(), name) for task, source, name in triples]


def check_row(row: RawRow, id_format: IdFormat = "uuid") -> Triple | Rejection:
    if isinstance(row.fields, Unparsed):
        return Rejection(row=row.number, reason=row.fields.reason, values=row.fields.values)
    if not isinstance(row.fields, Mapping):
        return Rejection(row=row.number, reason="not an object with " + ", ".join(FIELDS))
    values = {name: str(row.fields.get(name, "")) for name in FIELDS}  # for the report
    if isinstance(row.fields, RepeatedKeys) and set(row.fields.repeated) & set(FIELDS):
        named = ", ".join(key for key in row.fields.repeated if key in FIELDS)
        reason = f"names {named} more than once: which value is meant is unknown"
        return Rejection(row=row.number, reason=reason, values=values)
    try:
        triple = Triple(**ONE.validate_python(row.fields))
    except ValidationError as error:
        reasons = [_describe(detail, row.fields) for detail in error.errors()]
        return Rejection(row=row.number, reason="; ".join(reasons), values=values)
    failed = [
        f"{name} is an Excel error value ({value}): the formula behind it failed"
        for name, value in zip(FIELDS, triple, strict=True)
        if value in EXCEL_ERRORS
    ]
    if not failed:
        problems = (_id_problem(name, getattr(triple, name), id_format) for name in ID_FIELDS)
        failed = [problem for problem in problems if problem]
    if failed:
        return Rejection(row=row.number, reason="; ".join(failed), values=values)
    return _canonical([triple], id_format)[0]


# What a spreadsheet shows, and exports as text, where a formula failed.
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
        "#CONNECT!",
        "#BUSY!",
    }
)


CHUNK_ROWS = 2048
ONE: TypeAdapter[TripleFields] = TypeAdapter(TripleFields)
MANY: TypeAdapter[list[TripleFields]] = TypeAdapter(list[TripleFields])


def check_rows(rows: Iterable[RawRow], id_format: IdFormat = "uuid") -> CheckedRows:
    """Chunks of rows are validated in one call into pydantic-core (rows are many); a chunk
    holding any invalid row is checked row by row, for each row's own reasons."""
    checked = CheckedRows()
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK_ROWS)):
        if all(type(row.fields) is dict for row in chunk):
            try:
                valid = [
                    Triple(**fields)
                    for fields in MANY.validate_python([row.fields for row in chunk])
                ]
            except ValidationError:
                pass
            else:
                if all(
                    _ids_fit(triple, id_format) and not EXCEL_ERRORS.intersection(triple)
                    for triple in valid
                ):
                    checked.valid.extend(_canonical(valid, id_format))
                    continue
        for row in chunk:
            result = check_row(row, id_format)
            if isinstance(result, Triple):
                checked.valid.append(result)
            else:
                checked.rejected.append(result)
    return checked
