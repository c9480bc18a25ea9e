"""Raw rows → valid triples and rejections with reasons a person understands (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sms_export.models import FIELDS, MAX_FIELD_LENGTH, Rejection, Triple
from sms_export.readers import RawRow, Unparsed


@dataclass
class CheckedRows:
    valid: list[Triple] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def _describe(error: ErrorDetails, fields: Mapping[str, Any]) -> str:
    name = str(error["loc"][0]) if error["loc"] else "row"
    value = fields.get(name)
    kind = error["type"]
    if kind == "missing":
        return f"{name} is missing"
    if kind == "string_too_short":
        return f"{name} is empty"
    if kind == "string_too_long":
        return f"{name} is longer than {MAX_FIELD_LENGTH} characters ({len(str(value).strip())})"
    if kind == "string_type":
        return f"{name} must be text, not {type(value).__name__} ({value!r:.40})"
    if kind == "value_error":
        return f"{name} {error['ctx']['error']!s}"
    return f"{name}: {error['msg']}"


def check_row(row: RawRow) -> Triple | Rejection:
    if isinstance(row.fields, Unparsed):
        return Rejection(row=row.number, reason=row.fields.reason)
    if not isinstance(row.fields, Mapping):
        return Rejection(row=row.number, reason="not an object with " + ", ".join(FIELDS))
    try:
        return Triple.model_validate(row.fields)
    except ValidationError as error:
        reasons = [_describe(detail, row.fields) for detail in error.errors()]
        values = {name: str(row.fields.get(name, "")) for name in FIELDS}
        return Rejection(row=row.number, reason="; ".join(reasons), values=values)


def check_rows(rows: Iterable[RawRow]) -> CheckedRows:
    checked = CheckedRows()
    for row in rows:
        result = check_row(row)
        if isinstance(result, Triple):
            checked.valid.append(result)
        else:
            checked.rejected.append(result)
    return checked
