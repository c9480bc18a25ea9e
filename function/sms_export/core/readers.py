"""Inputs → numbered raw rows, streamed where the format allows.

Numbers are what an operator sees: the spreadsheet row for CSV and xlsx files (the header
is row 1; blank and comment rows keep their numbers), the line for JSON Lines, and the
1-based position for JSON lists and inline items.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import PurePosixPath
from typing import Any, BinaryIO, Literal, NamedTuple

from sms_export.core import jsontext
from sms_export.core.decoding import (
    MAX_LINE,
    SAMPLE_SIZE,
    OverlongLine,
    detect_encoding,
    sample_of,
    text_lines,
    uncompressed,
)
from sms_export.core.errors import InputError
from sms_export.core.models import FIELDS, is_sms_id

Format = Literal["csv", "json", "jsonl", "xlsx"]
DELIMITERS = (",", ";", "\t")
# Header names, compared with case, spaces, hyphens and underscores ignored.
HEADER_NAMES = {
    "taskid": "task_id",
    "sourceid": "source_id",
    "sourcename": "source_name",
    # The names the SMS console uses.
    "任务id": "task_id",
    "源端id": "source_id",
    "源端名称": "source_name",
}
EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
}
CONTENT_TYPES: dict[str, Format] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "text/tab-separated-values": "csv",
    "text/plain": "csv",
    "application/json": "json",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/jsonlines": "jsonl",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
ZIP_MAGIC = b"PK\x03\x04"
# Rows below a first row that names no column, searched for the header it may sit above.
TITLE_LOOKAHEAD = 5


class RawRow(NamedTuple):  # a tuple: there is one per input row
    number: int
    fields: Any  # usually a mapping of field → value; validation decides what it is


@dataclass(frozen=True)
class Unparsed:
    """A row that could not even be parsed (a JSON Lines line that is not JSON), or whose
    cells cannot be trusted; `values`, when known, are its cells for the rejects report."""

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


def read_rows(
    stream: BinaryIO,
    name: str,
    *,
    content_type: str | None = None,
    limits: Limits | None = None,
    tally: Tally | None = None,
) -> Iterator[RawRow]:
    """Rows of a file in any supported format, gzip-compressed or not."""
    limits = limits or Limits()
    data = uncompressed(stream, limits.max_bytes, name)
    fmt = detect_format(name, content_type, data.peek(SAMPLE_SIZE)[:SAMPLE_SIZE])
    tally = tally or Tally()
    tally.layout.format = fmt
    rows = READERS[fmt](data, name, tally, limits)
    return _capped(rows, limits.max_rows, name)


def detect_format(name: str, content_type: str | None, head: bytes) -> Format:
    """By extension (after any .gz), else content type, else the content's first bytes."""
    path = PurePosixPath(name.lower())
    suffix = PurePosixPath(path.stem).suffix if path.suffix == ".gz" else path.suffix
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    media = (content_type or "").split(";")[0].strip().lower()
    if media in CONTENT_TYPES:
        return CONTENT_TYPES[media]
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        return "json" if b"task_info" in head[:200] else "jsonl"
    return "csv"


def _capped(rows: Iterator[RawRow], max_rows: int, name: str) -> Iterator[RawRow]:
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise InputError(
                "TooManyRows",
                f"{name} has more than MAX_ROWS ({max_rows:,}) rows; split it into several files",
            )
        yield row


# -- tables: CSV and xlsx --------------------------------------------------------------------
def normalise_header(cell: str) -> str:
    """Case, spaces, hyphens, underscores and invisible format characters (a byte-order mark
    in the middle of concatenated files, a zero-width space) do not count."""
    text = unicodedata.normalize("NFKC", cell).casefold()
    return "".join(
        ch
        for ch in text
        if not ch.isspace() and ch not in "-_" and unicodedata.category(ch) != "Cf"
    )


def looks_like_data(cells: list[str]) -> bool:
    """A headerless file is accepted only when its first row is plainly data: exactly three
    cells whose first two are SMS ids (UUIDs). A mistyped header ("task,source,name") is
    never taken for data, so it cannot be exported by mistake."""
    values = [cell.strip() for cell in cells if cell.strip()]
    return len(values) == 3 and all(is_sms_id(value) for value in values[:2])


def _columns(header: list[str], name: str) -> dict[str, int] | None:
    """Where each field is, from the header row; None when the row is data, not a header."""
    names = [normalise_header(cell) for cell in header]
    seen = [n for n in names if n]
    repeated = sorted({header[i].strip() for i, n in enumerate(names) if n and seen.count(n) > 1})
    if repeated:
        raise InputError(
            "DuplicateColumns", f"{name} names a column more than once: {', '.join(repeated)}"
        )
    positions = {HEADER_NAMES[n]: i for i, n in enumerate(names) if n in HEADER_NAMES}
    missing = [field for field in FIELDS if field not in positions]
    if not missing:
        return positions
    if not positions and looks_like_data(header):
        return None
    found = ", ".join(repr(cell.strip()) for cell in header if cell.strip())  # never blank
    raise InputError(
        "MissingColumns",
        f"{name} has no column {', '.join(missing)}. Columns found: {found}; "
        f"expected a header naming {', '.join(FIELDS)} (or 任务ID, 源端ID, 源端名称).",
    )


def table_rows(
    records: Iterable[tuple[int, list[str]]], name: str, tally: Tally
) -> Iterator[RawRow]:
    """Numbered cell lists → rows keyed by field; blank and `#` comment rows skipped."""
    positions: dict[str, int] | None = None
    numbered = iter(records)  # one iterator: a title's hint reads on from the same place
    for number, cells in numbered:
        if not "".join(cells).strip():
            tally.blank += 1
            continue
        if cells[0].lstrip()[:1] == "#":
            tally.comments += 1
            continue
        if positions is None:
            found = _columns_or_title(cells, number, numbered, name)
            # positions, pick and needed are set together, from the first row that counts.
            positions = found or dict(zip(FIELDS, range(3), strict=True))
            pick = itemgetter(*positions.values())
            needed = max(positions.values()) + 1
            header = [normalise_header(cell) for cell in cells] if found is not None else None
            width = _width(cells) if header is not None else len(FIELDS)
            tally.layout.columns = positions
            if header is not None:
                tally.layout.header_row, tally.layout.header = number, cells
                continue  # the header row
        elif header is not None and _repeats(header, cells):
            tally.headers += 1
            continue
        if len(cells) > width and _width(cells) > width:
            yield RawRow(number, Unparsed(_shifted(_width(cells), width)))
            continue
        if len(cells) >= needed:  # the usual case, done in C
            yield RawRow(number, dict(zip(positions, pick(cells), strict=True)))
        else:
            yield RawRow(
                number,
                {field: cells[index] for field, index in positions.items() if index < len(cells)},
            )
    if positions is None:
        raise InputError(
            "NoRows",
            f"{name} is empty: expected a header row "
            f"{','.join(FIELDS)} followed by one row per source.",
        )


def _columns_or_title(
    cells: list[str], number: int, records: Iterator[tuple[int, list[str]]], name: str
) -> dict[str, int] | None:
    """`_columns`, and where the first row names no column but a row just below it does,
    the hint that the first row is a title above the header (a sheet's caption)."""
    try:
        return _columns(cells, name)
    except InputError as error:
        if error.code != "MissingColumns":
            raise
        below = next(
            (
                later
                for later, row in itertools.islice(records, TITLE_LOOKAHEAD)
                if _names_every_field(row)
            ),
            None,
        )
        if below is None:
            raise
        raise InputError(
            error.code,
            f"{error.message} Row {number} looks like a title: the header seems to be on "
            f"row {below}; remove the rows above it.",
        ) from None


def _names_every_field(cells: list[str]) -> bool:
    """Whether a row is a header, even one split with another separator than the row the
    separator was chosen from (a title line holds none, or another)."""
    splits = [cells] + ([cells[0].split(d) for d in DELIMITERS] if len(cells) == 1 else [])
    return any(
        set(FIELDS) <= {HEADER_NAMES.get(normalise_header(cell)) for cell in split}
        for split in splits
    )


def _width(cells: list[str]) -> int:
    """Cells up to the last one that holds anything (spreadsheets pad rows with separators)."""
    width = len(cells)
    while width and not cells[width - 1].strip():
        width -= 1
    return width


def _shifted(cells: int, width: int) -> str:
    return (
        f"has {cells} cells where the header has {width}: a separator inside a value that "
        "is not quoted shifts the columns after it"
    )


_DIGIT = re.compile(r"\d")


def _repeats(header: list[str], cells: list[str]) -> bool:
    """Is this row the header again? No header name holds a digit and ids nearly always
    do: that check, in C, spares the data rows the full comparison."""
    return not _DIGIT.search(cells[0]) and [normalise_header(cell) for cell in cells] == header


def _delimiter(line: str) -> str:
    counts = {delimiter: _count_outside_quotes(line, delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for character in line:
        if character == '"':
            quoted = not quoted
        elif character == delimiter and not quoted:
            count += 1
    return count


def csv_rows(stream: BinaryIO, name: str, tally: Tally, limits: Limits) -> Iterator[RawRow]:
    """Comma, semicolon or tab separated, chosen from the header line; quoted fields may
    hold separators, quotes and line breaks."""
    stream, sample = sample_of(stream)
    tally.layout.encoding = encoding = detect_encoding(sample, name)
    lines = text_lines(stream, name, encoding=encoding)
    leading: list[str] = []
    for line in lines:
        leading.append(line)
        if line.strip() and not line.lstrip().startswith("#"):
            break
    tally.layout.separator = delimiter = _delimiter(leading[-1]) if leading else ","
    # A cell may be as long as a line (the csv module's own limit, 128 KiB, would fail the
    # whole file for one pasted blob; validation then rejects that row alone).
    csv.field_size_limit(max(csv.field_size_limit(), MAX_LINE))
    reader = csv.reader(itertools.chain(leading, lines), delimiter=delimiter, strict=True)
    records = _Records(reader)
    try:
        yield from table_rows(records, name, tally)
    except csv.Error as error:
        raise InputError(
            "UnreadableFile",
            f"{name} is not valid CSV at row {records.row + 1} (line {reader.line_num}): {error}",
        ) from None


class _Records:
    """A reader's records numbered as a spreadsheet numbers its rows (a quoted line break
    stays inside its row); `row` is the last one read whole, for a syntax error after it."""

    def __init__(self, reader: Iterable[list[str]]) -> None:
        self._reader = reader
        self.row = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for number, cells in enumerate(self._reader, start=1):
            self.row = number
            yield number, cells


# What a damaged workbook raises, when it is opened or while its rows are read: a bad zip,
# deflate stream or CRC, malformed XML, a missing part.
def workbook_errors() -> tuple[type[BaseException], ...]:
    import zlib
    from xml.etree.ElementTree import ParseError
    from zipfile import BadZipFile

    return (BadZipFile, zlib.error, ParseError, KeyError, ValueError, OSError, EOFError)


def xlsx_rows(stream: BinaryIO, name: str, tally: Tally, limits: Limits) -> Iterator[RawRow]:
    """The first sheet, read with openpyxl's read-only (streaming) mode."""
    from openpyxl import load_workbook

    damaged = workbook_errors()
    # A zip archive needs random access: spool it (the size is already capped).
    with tempfile.TemporaryFile() as spooled:
        shutil.copyfileobj(stream, spooled)
        try:
            _check_inflated_size(spooled, name, limits.max_bytes)
            spooled.seek(0)
            workbook = load_workbook(spooled, read_only=True, data_only=True)
        except damaged as error:
            raise _unreadable_workbook(name, error) from None
        try:
            sheet = workbook.worksheets[0]
            # Many writers leave a stale or minimal <dimension>; read-only mode trusts it and
            # would silently drop the rows past it.
            sheet.reset_dimensions()
            for row in table_rows(_sheet_records(sheet, name, damaged), name, tally):
                yield _unless_inexact(row)
        finally:
            workbook.close()


def _check_inflated_size(spooled: BinaryIO, name: str, limit: int) -> None:
    """A small workbook may inflate a thousandfold: its members' sizes count against
    MAX_INPUT_BYTES, like a gzip file's (a member larger than it says fails its CRC)."""
    from zipfile import ZipFile

    spooled.seek(0)
    with ZipFile(spooled) as archive:
        inflated = sum(member.file_size for member in archive.infolist())
    if inflated > limit:
        raise InputError(
            "InputTooLarge",
            f"{name} is larger than MAX_INPUT_BYTES ({limit:,} bytes, counted uncompressed)",
        )


def _sheet_records(
    sheet: Any, name: str, damaged: tuple[type[BaseException], ...]
) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in values]
    except damaged as error:
        raise _unreadable_workbook(name, error) from None


def _unreadable_workbook(name: str, error: BaseException) -> InputError:
    return InputError("UnreadableFile", f"{name} is not a valid .xlsx workbook: {error}")


# A workbook stores every number as a double, whose whole numbers are all exact only below
# 2**53 (16 digits). Past it, the integer the double holds has digits nobody typed: Excel
# keeps an 18-digit id as 1.23456789012346E+18, which as an integer is 1234567890123460096.
EXACT_WHOLE_NUMBERS = 2**53


class InexactNumber(str):
    """A numeric cell too large for its digits to be trusted, as Excel shows it (15
    significant digits). A str, so that headers and blank rows are found as before; a row
    holding one in a field is rejected, never sent with digits the sheet does not show."""


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        if abs(value) < EXACT_WHOLE_NUMBERS:
            return str(int(value))  # ids typed as numbers come back as floats: 42.0 is "42"
        return InexactNumber(f"{value:.15G}")
    return str(value)  # an int is the sheet's own digits; a float's repr round-trips


def _unless_inexact(row: RawRow) -> RawRow:
    if not isinstance(row.fields, dict):
        return row
    reasons = [
        f"{name} is the number {value}, too large for a spreadsheet to keep every digit: "
        "the digits typed are lost; format the column as Text and type it again"
        for name, value in row.fields.items()
        if isinstance(value, InexactNumber)
    ]
    if not reasons:
        return row
    return RawRow(
        row.number, Unparsed("; ".join(reasons), {k: str(v) for k, v in row.fields.items()})
    )


# -- JSON and JSON Lines ---------------------------------------------------------------------
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


READERS: dict[Format, Callable[[BinaryIO, str, Tally, Limits], Iterator[RawRow]]] = {
    "csv": csv_rows,
    "json": json_rows,
    "jsonl": jsonl_rows,
    "xlsx": xlsx_rows,
}
