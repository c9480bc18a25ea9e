"""Inputs → numbered raw rows, streamed. Numbers are what an operator sees: for a CSV
file the spreadsheet row (the header is row 1), for inline items their 1-based position."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from sms_export.errors import InputError
from sms_export.models import FIELDS


@dataclass(frozen=True)
class RawRow:
    number: int
    fields: Mapping[str, Any] | Any  # whatever the input held; validation decides


def inline_rows(items: Iterable[Any]) -> Iterator[RawRow]:
    for number, item in enumerate(items, start=1):
        yield RawRow(number, item)


def _column_name(header: str) -> str:
    return header.strip().lower()


def csv_rows(stream: BinaryIO, name: str = "the file") -> Iterator[RawRow]:
    """Rows of a UTF-8 CSV file (BOM optional, LF or CRLF) whose header names the fields."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        records = enumerate(csv.reader(text), start=1)
        header = next((cells for _, cells in records if any(cell.strip() for cell in cells)), None)
        if header is None:
            raise InputError(
                "NoRows",
                f"{name} is empty: expected a header row "
                f"{','.join(FIELDS)} followed by one row per source.",
            )
        columns = [_column_name(cell) for cell in header]
        missing = [field for field in FIELDS if field not in columns]
        if missing:
            found = ", ".join(repr(cell) for cell in header) or "none"
            raise InputError(
                "MissingColumns",
                f"{name} has no column {', '.join(missing)}. Columns found: {found}; "
                f"expected a header row naming {', '.join(FIELDS)}.",
            )
        positions = {field: columns.index(field) for field in FIELDS}
        for number, cells in records:
            if not any(cell.strip() for cell in cells):
                continue
            yield RawRow(
                number,
                {
                    field: cells[position]
                    for field, position in positions.items()
                    if position < len(cells)
                },
            )
    except UnicodeDecodeError as error:
        raise InputError(
            "UnreadableFile",
            f"{name} is not UTF-8 text ({error.reason} at byte {error.start} of "
            f"a read block); save it as CSV UTF-8.",
        ) from None
    except csv.Error as error:
        raise InputError("UnreadableFile", f"{name} is not a valid CSV file: {error}") from None
    finally:
        text.detach()
