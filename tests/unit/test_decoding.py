"""Line ends and chunk boundaries: what Excel files past 64 KiB meet."""

from __future__ import annotations

import io

import pytest

from sms_export.core.decoding import text_lines
from sms_export.core.models import CHUNK_SIZE
from sms_export.core.readers import read_rows
from sms_export.core.rows import Tally

HEADER = b"task_id,source_id,source_name\r\n"


def padded_row(number: int, length: int) -> bytes:
    """A data row of exactly `length` bytes including its CRLF."""
    start = f"t-{number},s-{number},".encode()
    return start + b"n" * (length - len(start) - 2) + b"\r\n"


@pytest.mark.parametrize("cr_at", [CHUNK_SIZE - 2, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1])
def test_a_crlf_split_across_reads_is_one_line_end(cr_at: int) -> None:
    """The CR of a CRLF at byte `cr_at`: at CHUNK_SIZE - 1 the CR ends one read and the LF
    starts the next, which must not count as a blank line between them."""
    first = padded_row(1, cr_at - len(HEADER) + 2)  # its CR lands at byte cr_at
    content = HEADER + first + padded_row(2, 40) + b"\r\n" + padded_row(4, 40)
    assert content[cr_at : cr_at + 2] == b"\r\n"
    tally = Tally()
    rows = list(read_rows(io.BytesIO(content), "t.csv", tally=tally))
    assert [row.number for row in rows] == [2, 3, 5]  # the spreadsheet's row numbers
    assert [row.fields["task_id"] for row in rows] == ["t-1", "t-2", "t-4"]
    assert tally.blank == 1  # the real blank row, and only it


def test_lines_keep_their_ends_whatever_they_are() -> None:
    text = b"a\r\nb\nc\rd"
    assert list(text_lines(io.BytesIO(text), "t")) == ["a\r\n", "b\n", "c\r", "d"]


def test_a_lone_cr_at_the_end_of_a_read_ends_its_line() -> None:
    content = b"x" * (CHUNK_SIZE - 1) + b"\r" + b"next\n"
    assert list(text_lines(io.BytesIO(content), "t")) == ["x" * (CHUNK_SIZE - 1) + "\r", "next\n"]


def test_a_character_split_across_reads_decodes_whole() -> None:
    content = b"a" * (CHUNK_SIZE - 1) + "服\n务".encode()
    assert list(text_lines(io.BytesIO(content), "t")) == ["a" * (CHUNK_SIZE - 1) + "服\n", "务"]


def test_a_file_ending_in_a_cr_keeps_its_last_line() -> None:
    assert list(text_lines(io.BytesIO(b"a\nb\r"), "t")) == ["a\n", "b\r"]
