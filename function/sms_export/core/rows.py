"""Numbered raw rows: what every reader yields, and what reading found out about a file.

Numbers are what an operator sees: the spreadsheet row for CSV and xlsx files (the header
is row 1; blank and comment rows keep their numbers), the line for JSON Lines, and the
1-based position for JSON lists and inline items.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Format = Literal["csv", "json", "jsonl", "xlsx"]


class RawRow(NamedTuple):  # a tuple: there is one per input row
    number: int
    fields: Any  # usually a mapping of field → value; validation decides what it is


@dataclass(frozen=True)
class Unparsed:
    """A row that could not even be parsed (a JSON Lines line that is not JSON), or whose
    cells cannot be trusted; `values`, when known, are its cells for rejected.csv."""

    reason: str
    values: dict[str, str] | None = None


@dataclass
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 100_000


@dataclass
class Layout:
    """What reading a file found out about it, for a person checking the file: the reader
    records it as it goes, so it is what the rows were read with, not a second guess."""

    format: Format | None = None
    encoding: str | None = None  # text formats but JSON (which is UTF-8 by definition)
    separator: str | None = None  # CSV
    header_row: int | None = None  # None: no header, the first row is data
    # Which column (0-based) each field is read from, and the header's cells, as written.
    columns: dict[str, int] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)


@dataclass
class Tally:
    """Rows skipped on purpose, counted for the outcome, and how the file was read."""

    blank: int = 0
    comments: int = 0
    headers: int = 0  # the header again, further down: files concatenated with `cat`
    layout: Layout = field(default_factory=Layout)


def inline_rows(items: Iterable[Any]) -> Iterator[RawRow]:
    for number, item in enumerate(items, start=1):
        yield RawRow(number, item)
