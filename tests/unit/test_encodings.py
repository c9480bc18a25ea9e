"""One file, two encodings: a GB18030 file holding UTF-8 text is refused, naming where
each is, and plain GBK is never taken for mixed."""

from __future__ import annotations

import io

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sms_export.core.encodings import detect_encoding
from sms_export.core.errors import InputError
from sms_export.core.readers import read_rows

UTF8_ROW = "4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c11,9f2b6c1e-3d4a-4e8f-a1b2-c3d4e5f60718,数据库主机\n"
GBK_ROW = "5c2d01b3-8f2e-4d63-ac4f-3a9e2f1b0d22,a03c7d2f-4e5b-4f90-b2c3-d4e5f6071829,文件服务器\n"
TEXT_HEADER = "task_id,source_id,source_name\n"


@pytest.mark.parametrize(
    ("sample", "encoding"),
    [
        (b"\xef\xbb\xbftask_id", "utf-8-sig"),
        ("task_id".encode("utf-16"), "utf-16"),  # with its byte-order mark
        ("名称".encode(), "utf-8"),
        ("名称".encode("gb18030"), "gb18030"),
        (b"", "utf-8"),
    ],
)
def test_the_encoding_is_found_from_the_first_bytes(sample: bytes, encoding: str) -> None:
    assert detect_encoding(sample, "t.csv") == encoding


def test_a_nul_byte_without_a_utf16_mark_is_a_binary_file() -> None:
    with pytest.raises(InputError, match="looks binary \\(a NUL byte at byte 4\\)"):
        detect_encoding(b"task\x00id", "t.csv")


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
