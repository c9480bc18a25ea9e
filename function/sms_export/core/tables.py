"""Tables → rows keyed by field, for CSV files and xlsx sheets alike: the header found (or
a headerless file recognised), blank, comment and repeated header rows skipped, cells
shifted by an unquoted separator caught; and the CSV reader itself."""

from __future__ import annotations

import csv
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import BinaryIO

from sms_export.core.decoding import MAX_LINE, sample_of, text_lines
from sms_export.core.encodings import detect_encoding
from sms_export.core.errors import InputError
from sms_export.core.models import FIELDS, is_sms_id
from sms_export.core.rows import Limits, RawRow, Tally, Unparsed

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
# Rows below a first row that names no column, searched for the header it may sit above.
TITLE_LOOKAHEAD = 5


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
