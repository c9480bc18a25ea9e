"""JSON and JSON Lines files → rows: a JSON document is read whole (its size is capped), a
JSON Lines file line by line, where a bad line is one rejected row."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from sms_export.core import jsontext
from sms_export.core.decoding import (
    MAX_LINE,
    OverlongLine,
    sample_of,
    text_lines,
)
from sms_export.core.encodings import detect_encoding
from sms_export.core.errors import InputError
from sms_export.core.rows import Limits, RawRow, Tally, Unparsed, inline_rows


def json_rows(stream: BinaryIO, name: str, tally: Tally, limits: Limits) -> Iterator[RawRow]:
    """The API body {"task_info": [...]} or a list of objects (read whole: size is capped)."""
    try:
        document = jsontext.loads(stream.read())
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError, TooDeep
        raise InputError("UnreadableFile", f"{name} is not valid JSON: {error}") from None
    items = document.get("task_info") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise InputError(
            "UnreadableFile",
            f'{name} must hold {{"task_info": [...]}} or a '
            "list of objects with task_id, source_id, source_name",
        )
    if not items:
        raise InputError("NoRows", f"{name} holds no rows to export.")
    yield from inline_rows(items)


def jsonl_rows(stream: BinaryIO, name: str, tally: Tally, limits: Limits) -> Iterator[RawRow]:
    """One object per line; a line that is not JSON is rejected, not the whole file."""
    found = False
    stream, sample = sample_of(stream)
    tally.layout.encoding = encoding = detect_encoding(sample, name)
    lines = text_lines(stream, name, skip_overlong=True, encoding=encoding)
    for number, line in enumerate(lines, start=1):
        if isinstance(line, OverlongLine):
            found = True
            yield RawRow(number, Unparsed(f"not a row: longer than {MAX_LINE:,} characters"))
            continue
        if not line.strip():
            tally.blank += 1
            continue
        if line.lstrip().startswith("#"):
            tally.comments += 1
            continue
        found = True
        try:
            yield RawRow(number, jsontext.loads(line))
        except json.JSONDecodeError as error:
            yield RawRow(number, Unparsed(f"not valid JSON ({error.msg} at column {error.colno})"))
        except jsontext.TooDeep as error:
            yield RawRow(number, Unparsed(f"not a row: {error}"))
    if not found:
        raise InputError("NoRows", f"{name} holds no rows to export.")
