"""Inputs → numbered raw rows, streamed where the format allows: the format is found, its
reader picked (tables.py, workbooks.py, jsonfiles.py), and the count of rows capped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import BinaryIO

from sms_export.core.decoding import SAMPLE_SIZE, uncompressed
from sms_export.core.errors import InputError
from sms_export.core.jsonfiles import json_rows, jsonl_rows
from sms_export.core.rows import Format, Limits, RawRow, Tally
from sms_export.core.tables import csv_rows
from sms_export.core.workbooks import xlsx_rows

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


READERS: dict[Format, Callable[[BinaryIO, str, Tally, Limits], Iterator[RawRow]]] = {
    "csv": csv_rows,
    "json": json_rows,
    "jsonl": jsonl_rows,
    "xlsx": xlsx_rows,
}
