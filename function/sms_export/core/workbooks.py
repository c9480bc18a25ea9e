"""xlsx workbooks → rows: the first sheet, streamed, its numbers written as typed."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO

from sms_export.core.errors import InputError
from sms_export.core.rows import Limits, RawRow, Tally, Unparsed
from sms_export.core.tables import table_rows


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
