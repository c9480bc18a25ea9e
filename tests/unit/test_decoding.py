"""Line ends, encodings and chunk boundaries: what Excel files past 64 KiB meet."""

from __future__ import annotations

import io

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sms_export.core.decoding import text_lines
from sms_export.core.errors import InputError
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


# -- one file, two encodings ---------------------------------------------------------------------
UTF8_ROW = "4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c11,9f2b6c1e-3d4a-4e8f-a1b2-c3d4e5f60718,数据库主机\n"
GBK_ROW = "5c2d01b3-8f2e-4d63-ac4f-3a9e2f1b0d22,a03c7d2f-4e5b-4f90-b2c3-d4e5f6071829,文件服务器\n"
TEXT_HEADER = "task_id,source_id,source_name\n"


def refusal(data: bytes) -> str:
    with pytest.raises(InputError) as raised:
        list(read_rows(io.BytesIO(data), "mixed.csv"))
    assert raised.value.code == "UnreadableFile"
    return raised.value.message


def mixed(utf8_at: int, gbk_at: int) -> str:
    return (
        f"mixed.csv mixes encodings: UTF-8 text at byte {utf8_at}, GB18030 (GBK) text at "
        f"byte {gbk_at}; save it again in one encoding (UTF-8)"
    )


def test_utf8_rows_then_gbk_rows_are_refused_naming_both_offsets() -> None:
    head = (TEXT_HEADER + UTF8_ROW).encode()
    utf8_at = head.index("数".encode())
    gbk_at = len(head) + GBK_ROW.encode("gbk").index("文".encode("gbk"))
    assert refusal(head + GBK_ROW.encode("gbk")) == mixed(utf8_at, gbk_at)


@pytest.mark.parametrize("gbk_rows", [1, 3000])  # in the sample, and far past it
@pytest.mark.parametrize("utf8_rows", [1, 2])
def test_gbk_rows_then_utf8_rows_are_refused_naming_both_offsets(
    gbk_rows: int, utf8_rows: int
) -> None:
    head = (TEXT_HEADER + GBK_ROW * gbk_rows).encode("gbk")
    gbk_at = head.index("文".encode("gbk"))
    utf8_at = len(head) + UTF8_ROW.encode().index("数".encode())
    assert refusal(head + (UTF8_ROW * utf8_rows).encode()) == mixed(utf8_at, gbk_at)


def test_two_short_utf8_names_in_a_gbk_file_are_enough() -> None:
    """ "主机" happens to decode as GB18030: only the UTF-8 runs give the mix away."""
    short = UTF8_ROW.replace("数据库主机", "主机")
    head = (TEXT_HEADER + GBK_ROW).encode("gbk")
    assert "主机".encode().decode("gb18030")  # no decoding error to lean on
    utf8_at = len(head) + short.encode().index("主".encode())
    assert refusal(head + (short * 2).encode()) == mixed(utf8_at, head.index("文".encode("gbk")))


def test_utf8_text_past_the_sample_then_gbk_names_the_byte() -> None:
    head = (TEXT_HEADER + UTF8_ROW * 2000).encode()
    assert refusal(head + GBK_ROW.encode("gbk")) == (
        f"mixed.csv is not valid UTF-8 text: invalid continuation byte at byte "
        f"{len(head) + GBK_ROW.encode('gbk').index('文'.encode('gbk'))}"
    )


def test_a_gbk_name_whose_first_bytes_happen_to_be_utf8_is_read_as_gbk() -> None:
    """唷 is E0 F2 … in GBK: 唷服 starts with three bytes that are one UTF-8 character."""
    row = GBK_ROW.replace("文件服务器", "唷服务器")
    encoded = row.encode("gbk")
    start = encoded.index("唷".encode("gbk"))
    assert len(encoded[start : start + 3].decode("utf-8")) == 1
    rows = list(read_rows(io.BytesIO((TEXT_HEADER + row).encode("gbk")), "gbk.csv"))
    assert [row.fields["source_name"] for row in rows] == ["唷服务器"]


GB2312_HANZI = [
    bytes([high, low]).decode("gb2312")
    for high in range(0xB0, 0xF8)
    for low in range(0xA1, 0xFF)
    if (high, low) not in {(0xD7, low) for low in range(0xFA, 0xFF)}  # unassigned
]


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(
        st.text(st.sampled_from(GB2312_HANZI), min_size=1, max_size=8).map(
            lambda name: f"web-{name}" if len(name) % 3 == 0 else name
        ),
        min_size=1,
        max_size=200,
    )
)
def test_gbk_files_of_any_chinese_names_are_never_taken_for_mixed(names: list[str]) -> None:
    """The mix is judged from runs that GBK text rarely forms by chance: any names read
    back as written (300,000 random names were tried once, none refused)."""
    ids = "5c2d01b3-8f2e-4d63-ac4f-3a9e2f1b0d22,a03c7d2f-4e5b-4f90-b2c3-d4e5f6071829"
    data = (TEXT_HEADER + "".join(f"{ids},{name}\n" for name in names)).encode("gbk")
    assume(not _is_utf8(data))  # GBK that is valid UTF-8 is read as UTF-8: by design
    rows = list(read_rows(io.BytesIO(data), "gbk.csv"))
    assert [row.fields["source_name"] for row in rows] == names


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_one_utf8_name_that_also_decodes_as_gbk_is_enough_before_the_gbk_rows() -> None:
    """No decoding error gives this file away: only the UTF-8 run before the first byte
    that fails as UTF-8 does."""
    short = UTF8_ROW.replace("数据库主机", "主机")
    head = (TEXT_HEADER + short).encode()
    data = head + GBK_ROW.encode("gbk")
    assert data.decode("gb18030")  # it would be read, as mojibake
    gbk_at = len(head) + GBK_ROW.encode("gbk").index("文".encode("gbk"))
    assert refusal(data) == mixed(head.index("主".encode()), gbk_at)


def test_a_utf8_header_at_byte_0_then_gbk_rows_is_refused() -> None:
    header = "任务ID,源端ID,源端名称\n".encode()
    assert refusal(header + GBK_ROW.encode("gbk")) == mixed(
        0, len(header) + GBK_ROW.encode("gbk").index("文".encode("gbk"))
    )


def test_gbk_names_that_happen_to_be_two_byte_utf8_are_not_taken_for_utf8() -> None:
    """一 is D2 BB in GBK, which is also UTF-8 (a Cyrillic letter): two-byte characters
    alone are no evidence."""
    rows = [GBK_ROW.replace("文件服务器", name) for name in ("一", "一一")] + [GBK_ROW]
    data = (TEXT_HEADER + "".join(rows)).encode("gbk")
    assert "一一".encode("gbk").decode("utf-8")
    read = list(read_rows(io.BytesIO(data), "gbk.csv"))
    assert [row.fields["source_name"] for row in read] == ["一", "一一", "文件服务器"]
