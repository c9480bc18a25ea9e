"""An input's batch exports merged into one results file: CSV under one header, or xlsx
in one sheet. Reads and writes streams; where the files are stored is the caller's."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePosixPath
from typing import Any

from sms_export.core.models import CHUNK_SIZE
from sms_export.core.ports import StoredObject
from sms_export.core.workbooks import workbook_errors

RESULTS_STEM = "results"  # results.csv or results.xlsx, by the exports' format
CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
Open = Callable[[str], StoredObject]


class NotMergeable(ValueError):
    """Why the exports cannot become one file; the outcome says it instead of `results`."""


def kind(keys: Sequence[str]) -> str:
    """The extension all the exports share (.csv or .xlsx), or NotMergeable."""
    extensions = sorted({PurePosixPath(key).suffix.lower() for key in keys})
    if len(extensions) != 1 or extensions[0] not in CONTENT_TYPES:
        found = ", ".join(extension or "no extension" for extension in extensions)
        raise NotMergeable(f"the exports are {found} files, not all CSV or all xlsx")
    return extensions[0]


def merged(extension: str, keys: Sequence[str], open_export: Open) -> Iterator[bytes]:
    if extension == ".csv":
        return merged_csv(keys, open_export)
    return iter([merged_xlsx(keys, open_export)])


def merged_csv(keys: Sequence[str], open_export: Open) -> Iterator[bytes]:
    """The first file whole, the others without their header line, which must be the
    first one's: a file of other columns would be merged wrong."""
    header: bytes | None = None
    for key in keys:
        with open_export(key) as stored:
            stream = stored.stream
            first = stream.readline()
            line = first.removeprefix(codecs.BOM_UTF8).rstrip(b"\r\n")
            if header is None:
                header = line
                yield first
            elif line != header:
                name = PurePosixPath(key).name
                raise NotMergeable(f"{name} has other columns than the first export")
            last = first
            while chunk := stream.read(CHUNK_SIZE):
                yield chunk
                last = chunk
            if not last.endswith(b"\n"):
                yield b"\n"


def merged_xlsx(keys: Sequence[str], open_export: Open) -> bytes:
    """One sheet: the first workbook's first sheet whole, the others' without the header."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("results")
    try:
        _append_sheets(sheet, keys, open_export)
    except NotMergeable:
        sheet.close()  # (its rows stream to a temporary file, which this removes)
        raise
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _append_sheets(sheet: Any, keys: Sequence[str], open_export: Open) -> None:
    from openpyxl import load_workbook

    header: tuple[object, ...] | None = None
    for key in keys:
        name = PurePosixPath(key).name
        with open_export(key) as stored:
            content = io.BytesIO(stored.stream.read())  # a workbook is read from a seekable file
        try:
            source = load_workbook(content, read_only=True, data_only=True)
            worksheet = source.worksheets[0]
            worksheet.reset_dimensions()  # writers leave stale dimensions: read every row
            rows = worksheet.iter_rows(values_only=True)
            first = next(rows, ())
            if header is None:
                header = first
                sheet.append(first)
            elif first != header:
                raise NotMergeable(f"{name} has other columns than the first export")
            for row in rows:
                sheet.append(row)
            source.close()
        except NotMergeable:
            raise  # (a ValueError too)
        except workbook_errors() as error:
            raise NotMergeable(f"{name} is not a readable workbook: {error}") from None
