"""Input files as operators really write them: one small fixture per case, and properties."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sms_export.core.errors import InputError
from sms_export.core.models import Rejection, Triple
from sms_export.core.readers import read_rows
from sms_export.core.rows import Limits, RawRow, Tally
from sms_export.core.validation import EXCEL_ERRORS, check_row
from tests.support import FIXTURES

A = ("4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c11", "9f2b6c1e-3d4a-4e8f-a1b2-c3d4e5f60718", "web-01")
B = ("5c2d01b3-8f2e-4d63-ac4f-3a9e2f1b0d22", "a03c7d2f-4e5b-4f90-b2c3-d4e5f6071829", "数据库主机")
C = (
    "6d3e12c4-903f-4e74-bd50-4b0f3a2c1e33",
    "b14d8e30-5f6c-4a01-c3d4-e5f60718293a",
    "文件服务器 02",
)
STANDARD = [(2, A), (3, B), (4, C)]


@dataclass
class Read:
    valid: list[tuple[int, tuple[str, str, str]]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)


def read(
    data: bytes, name: str, content_type: str | None = None, limits: Limits | None = None
) -> Read:
    result = Read()
    for row in read_rows(
        io.BytesIO(data), name, content_type=content_type, limits=limits, tally=result.tally
    ):
        checked = check_row(row)
        if isinstance(checked, Triple):
            result.valid.append(
                (row.number, (checked.task_id, checked.source_id, checked.source_name))
            )
        else:
            result.rejected.append((checked.row, checked.reason))
    return result


def read_fixture(name: str, content_type: str | None = None) -> Read:
    return read((FIXTURES / name).read_bytes(), name, content_type)


# fixture → the numbered valid rows it gives
READABLE = {
    "utf8.csv": STANDARD,
    "utf8-bom-crlf.csv": STANDARD,
    "excel-unicode-text.txt": STANDARD,  # UTF-16 with BOM, tab-separated (Excel)
    "gbk.csv": STANDARD,  # GB18030, the console's Chinese headers
    "semicolon.csv": STANDARD,
    "tab.tsv": STANDARD,
    "cr-line-ends.csv": STANDARD,
    "header-variants.csv": STANDARD,  # "Task ID", "source-id", "SOURCE_NAME", an extra column
    "console-headers.csv": STANDARD,  # 任务ID, 源端ID, 源端名称
    "headerless.csv": [(1, A), (2, B), (3, C)],  # first row is plainly data: UUIDs
    "api-body.json": [(1, A), (2, B), (3, C)],
    "list.json": [(1, A), (2, B), (3, C)],
    "tasks.csv.gz": STANDARD,
    "rows.jsonl.gz": [(1, A), (2, B), (3, C)],
}


@pytest.mark.parametrize("name", sorted(READABLE))
def test_readable_fixture(name: str) -> None:
    result = read_fixture(name)
    assert result.valid == READABLE[name]
    assert result.rejected == []


def test_quoted_fields_hold_separators_quotes_and_line_breaks() -> None:
    result = read_fixture("quoted.csv")
    assert result.valid == [(2, (A[0], A[1], 'web, "primary" node')), (4, C)]
    # The reader keeps the line break; the API does not allow it in a name.
    assert result.rejected == [
        (3, "source_name contains a control character (U+000A) at position 4")
    ]


def test_blank_rows_and_comments_are_skipped_counted_and_keep_their_numbers() -> None:
    result = read_fixture("blank-and-comments.csv")
    assert result.valid == [(3, A), (7, B), (9, C)]
    assert (result.tally.blank, result.tally.comments) == (3, 2)


def test_json_lines_reject_a_broken_line_by_its_number() -> None:
    result = read_fixture("rows.jsonl")
    assert result.valid == [(1, A), (2, B), (4, C)]
    assert result.rejected == [
        (3, "not valid JSON (Expecting property name enclosed in double quotes at column 2)")
    ]


def test_xlsx_first_sheet_with_sheet_row_numbers() -> None:
    result = read_fixture("tasks.xlsx")
    assert result.valid == STANDARD
    assert result.rejected == [(6, "source_id is empty")]
    assert result.tally.blank == 1


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("binary.csv", "UnreadableFile", "looks binary (a NUL byte at byte 8)"),
        ("no-known-encoding.csv", "UnreadableFile", "fails as UTF-8 at byte 119"),
        (
            "missing-column.csv",
            "MissingColumns",
            "no column source_id. Columns found: 'task_id', 'source', 'source_name'; expected",
        ),
        ("duplicate-columns.csv", "DuplicateColumns", "more than once: Task ID, task_id"),
        ("headerless-mistyped-header.csv", "MissingColumns", "Columns found: 'task', 'source'"),
        ("not-gzip.csv.gz", "UnreadableFile", "is not valid gzip"),
    ],
)
def test_unusable_fixture(name: str, code: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        read_fixture(name)
    assert raised.value.code == code
    assert message in raised.value.message


def test_the_format_follows_the_content_type_when_the_name_says_nothing() -> None:
    data = (FIXTURES / "rows.jsonl").read_bytes()
    assert len(read(data, "upload", "application/x-ndjson").valid) == 3
    data = (FIXTURES / "tasks.xlsx").read_bytes()
    assert len(read(data, "upload", "application/octet-stream").valid) == 3  # by its magic


def test_a_decoding_failure_after_the_sample_names_its_byte() -> None:
    head = ("task_id,source_id,source_name\n" + "t-1,s-1,名字\n" * 8000).encode()
    data = head + b"t-2,s-2,\xc3\x28\n"
    with pytest.raises(InputError) as raised:
        read(data, "big.csv")
    assert f"invalid continuation byte at byte {len(head) + 8}" in raised.value.message


def test_a_compression_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"task_id,source_id,source_name\n" + b"0,0,0\n" * (4 * 1024 * 1024))
    assert len(bomb) < 128 * 1024  # 24 MiB once inflated
    rows = read_rows(io.BytesIO(bomb), "bomb.csv.gz", limits=Limits(1024**2, 10**9))
    with pytest.raises(InputError) as raised:
        deque(rows, maxlen=0)
    assert raised.value.code == "InputTooLarge"
    assert "MAX_INPUT_BYTES (1,048,576 bytes, counted uncompressed)" in raised.value.message


def test_a_file_that_is_one_endless_line_is_refused_quickly() -> None:
    with pytest.raises(InputError) as raised:
        read(b"task_id,source_id,source_name" + b"0" * (3 * 1024 * 1024), "one-line.csv")
    assert "a line longer than 1,048,576 characters" in raised.value.message


def test_too_many_rows() -> None:
    data = ("task_id,source_id,source_name\n" + "t,s,n\n" * 11).encode()
    with pytest.raises(InputError) as raised:
        read(data, "rows.csv", limits=Limits(max_rows=10))
    assert raised.value.code == "TooManyRows"
    assert "MAX_ROWS (10)" in raised.value.message


def test_csv_is_streamed_not_read_whole() -> None:
    class Recorder(io.RawIOBase):
        def __init__(self) -> None:
            self.data = b"task_id,source_id,source_name\n" + b"t,s,n\n" * 200_000
            self.position = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            size = min(len(buffer), len(self.data) - self.position)
            buffer[:size] = self.data[self.position : self.position + size]
            self.position += size
            return size

    stream = Recorder()
    next(read_rows(stream, "big.csv"))  # type: ignore[arg-type]
    assert stream.position < len(stream.data) // 4


# -- properties ------------------------------------------------------------------------------
text = (
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(lambda value: bool(value) and value not in EXCEL_ERRORS)  # valid values only
)
# Ids are SMS ids (UUIDs, either case); any text is tried where text goes, in the name.
sms_id = st.builds(str, st.uuids()).flatmap(lambda value: st.sampled_from([value, value.upper()]))
triple = st.tuples(sms_id, sms_id, text)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "gb18030"]
ENDINGS = ["\n", "\r\n", "\r"]


def write(
    rows: list[tuple[str, str, str]],
    encoding: str,
    delimiter: str,
    ending: str,
    quoting: Literal[0, 1, 2, 3],
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=ending, quoting=quoting)
    writer.writerow(["task_id", "source_id", "source_name"])
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def ambiguous(data: bytes, encoding: str) -> bool:
    """GB18030 bytes that happen to be valid UTF-8 are read as UTF-8: by design."""
    if encoding != "gb18030":
        return False
    try:
        codecs.decode(data, "utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(triple, min_size=1, max_size=15),
    encoding=st.sampled_from(ENCODINGS),
    delimiter=st.sampled_from([",", ";", "\t"]),
    ending=st.sampled_from(ENDINGS),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_any_valid_rows_in_any_encoding_and_dialect_read_back_exactly(
    rows: list[tuple[str, str, str]],
    encoding: str,
    delimiter: str,
    ending: str,
    quoting: Literal[0, 1, 2, 3],
) -> None:
    try:
        data = write(rows, encoding, delimiter, ending, quoting)
    except UnicodeEncodeError:
        assume(False)
        raise
    assume(not ambiguous(data, encoding))
    result = read(data, "generated.csv")
    assert result.rejected == []
    # UUIDs come back in SMS's lower case (see validation._canonical).
    expected = [(task.lower(), source.lower(), name) for task, source, name in rows]
    assert result.valid == list(enumerate(expected, start=2))


BREAKS: dict[str, Callable[[str], str]] = {
    "empty": lambda value: "",
    "too long": lambda value: value + "x" * 256,
    "control character": lambda value: value[:1] + "\x07" + value[1:],
    "format character": lambda value: value[:1] + "\u200b" + value[1:],
}


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(triple, min_size=1, max_size=15), data=st.data())
def test_breaking_one_field_rejects_exactly_that_row(
    rows: list[tuple[str, str, str]], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(rows) - 1))
    field_index = data.draw(st.integers(0, 2))
    how = data.draw(st.sampled_from(sorted(BREAKS)))
    cells = list(rows[index])
    cells[field_index] = BREAKS[how](cells[field_index])
    broken = [*rows[:index], (cells[0], cells[1], cells[2]), *rows[index + 1 :]]
    result = read(
        write(
            broken,
            "utf-8",
            ",",
            "\n",
            csv.QUOTE_MINIMAL,
        ),
        "mutated.csv",
    )
    assert [number for number, _ in result.rejected] == [index + 2]
    name = ("task_id", "source_id", "source_name")[field_index]
    assert result.rejected[0][1].startswith(name)
    assert len(result.valid) == len(rows) - 1


def test_rejections_keep_the_rows_values_for_the_report() -> None:
    rejection = check_row(RawRow(4, {"task_id": "t", "source_id": "", "source_name": "=cmd"}))
    assert isinstance(rejection, Rejection)
    assert rejection.values == {"task_id": "t", "source_id": "", "source_name": "=cmd"}


def test_unicode_line_separators_inside_a_value_do_not_split_the_row() -> None:
    data = f"task_id,source_id,source_name\n{A[0]},{A[1]},a\u2028b\x1cc\n{B[0]},{B[1]},d\u2029e\n"
    result = read(data.encode(), "separators.csv")
    assert result.valid == [(3, (B[0], B[1], "d\u2029e"))]
    assert result.rejected == [
        (2, "source_name contains a control character (U+001C) at position 4")
    ]


# -- what reading found out: the layout shown by `sms-export validate` -------------------------
@pytest.mark.parametrize(
    ("name", "encoding", "separator", "columns"),
    [
        ("gbk.csv", "gb18030", ",", {"task_id": 0, "source_id": 1, "source_name": 2}),
        ("semicolon.csv", "utf-8", ";", {"task_id": 0, "source_id": 1, "source_name": 2}),
        ("tab.tsv", "utf-8", "\t", {"task_id": 0, "source_id": 1, "source_name": 2}),
        ("utf8-bom-crlf.csv", "utf-8-sig", ",", {"task_id": 0, "source_id": 1, "source_name": 2}),
        ("headerless.csv", "utf-8", ",", {"task_id": 0, "source_id": 1, "source_name": 2}),
    ],
)
def test_the_layout_says_how_a_csv_file_was_read(
    name: str, encoding: str, separator: str, columns: dict[str, int]
) -> None:
    layout = read_fixture(name).tally.layout
    assert (layout.format, layout.encoding, layout.separator) == ("csv", encoding, separator)
    assert layout.columns == columns
    assert layout.header_row == (None if name.startswith("headerless") else 1)


def test_the_layout_names_the_header_cells_a_reordered_header_maps() -> None:
    data = f"\n# exported by hand\nSource Name,Task-ID,source_id\nweb-01,{A[0]},{A[1]}\n"
    layout = read(data.encode(), "wave.csv").tally.layout
    assert layout.header_row == 3
    assert layout.header == ["Source Name", "Task-ID", "source_id"]
    assert layout.columns == {"task_id": 1, "source_id": 2, "source_name": 0}


def test_the_layout_of_json_lines_gives_its_encoding_and_no_separator() -> None:
    layout = read_fixture("rows.jsonl").tally.layout
    assert (layout.format, layout.encoding, layout.separator) == ("jsonl", "utf-8", None)


@pytest.mark.parametrize(
    ("title", "header", "below"),
    [
        ("Wave 1 servers", "task_id,source_id,source_name", 2),
        ("Wave 1; March", "task_id,source_id,source_name", 2),  # ';' taken from the title
        ("Wave 1 servers\n\n", "task_id;source_id;source_name", 4),  # blank rows keep numbers
        ("迁移批次 1,,", "任务ID,源端ID,源端名称", 2),
    ],
)
def test_a_title_row_above_the_header_gets_a_hint(title: str, header: str, below: int) -> None:
    data = f"{title}\n{header}\n{','.join(A)}\n".encode()
    with pytest.raises(InputError) as raised:
        read(data, "wave.csv")
    assert raised.value.code == "MissingColumns"
    assert raised.value.message.endswith(
        f"Row 1 looks like a title: the header seems to be on row {below}; "
        "remove the rows above it."
    )


def test_a_missing_column_with_no_header_below_gets_no_title_hint() -> None:
    with pytest.raises(InputError) as raised:
        read_fixture("missing-column.csv")
    assert "title" not in raised.value.message


def test_a_sheets_caption_above_the_header_gets_the_same_hint() -> None:
    from tests.support import workbook_bytes

    data = workbook_bytes(("Wave 1: 3 servers",), (), ("task_id", "source_id", "source_name"), A)
    with pytest.raises(InputError, match="the header seems to be on row 3"):
        read(data, "wave.xlsx")
