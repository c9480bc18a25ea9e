"""CSV files are streamed and numbered as a spreadsheet shows them."""

from __future__ import annotations

import io

import pytest

from sms_export.errors import InputError
from sms_export.readers import RawRow, csv_rows

HEADER = "task_id,source_id,source_name"


def read(data: bytes) -> list[RawRow]:
    return list(csv_rows(io.BytesIO(data), "tasks.csv"))


@pytest.mark.parametrize(
    "data",
    [
        f"{HEADER}\nt-1,s-1,web\nt-2,s-2,db\n".encode(),
        f"\ufeff{HEADER}\r\nt-1,s-1,web\r\nt-2,s-2,db\r\n".encode(),
        f"{HEADER}\nt-1,s-1,web\nt-2,s-2,db".encode(),
    ],
    ids=["utf8-lf", "bom-crlf", "no-final-newline"],
)
def test_utf8_with_or_without_bom_lf_or_crlf(data: bytes) -> None:
    assert read(data) == [
        RawRow(2, {"task_id": "t-1", "source_id": "s-1", "source_name": "web"}),
        RawRow(3, {"task_id": "t-2", "source_id": "s-2", "source_name": "db"}),
    ]


def test_columns_in_any_order_extra_ones_ignored_header_case_and_spaces() -> None:
    rows = read(b" Source_Name ,owner,TASK_ID,source_id\nweb,ops,t-1,s-1\n")
    assert rows == [RawRow(2, {"task_id": "t-1", "source_id": "s-1", "source_name": "web"})]


def test_row_numbers_count_records_and_blank_rows_like_a_spreadsheet() -> None:
    data = f'{HEADER}\nt-1,s-1,"two\nlines"\n\n,,\nt-2,s-2,db\n'.encode()
    assert [row.number for row in read(data)] == [2, 5]


def test_short_rows_lack_the_missing_fields() -> None:
    assert read(f"{HEADER}\nt-1,s-1\n".encode())[0].fields == {"task_id": "t-1", "source_id": "s-1"}


def test_a_missing_column_names_what_was_found_and_expected() -> None:
    with pytest.raises(InputError) as raised:
        read(b"task,source_id,source_name\nt,s,n\n")
    assert raised.value.code == "MissingColumns"
    assert "no column task_id" in raised.value.message
    assert "'task'" in raised.value.message


def test_an_empty_file_is_an_error() -> None:
    with pytest.raises(InputError) as raised:
        read(b"")
    assert raised.value.code == "NoRows"


def test_non_utf8_is_a_clear_error() -> None:
    with pytest.raises(InputError) as raised:
        read(f"{HEADER}\nt-1,s-1,服务器\n".encode("gb18030"))
    assert raised.value.code == "UnreadableFile"
    assert "not UTF-8" in raised.value.message


class OneChunkAtATime(io.RawIOBase):
    """A stream that records how far it has been read."""

    def __init__(self, lines: int) -> None:
        self.data = (HEADER + "\n" + "t,s,n\n" * lines).encode()
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        size = min(len(buffer), 4096, len(self.data) - self.position)
        buffer[:size] = self.data[self.position : self.position + size]
        self.position += size
        return size


def test_the_file_is_streamed_not_read_whole() -> None:
    stream = OneChunkAtATime(lines=200_000)
    rows = csv_rows(stream)  # type: ignore[arg-type]
    next(rows)
    assert stream.position < len(stream.data) // 10
