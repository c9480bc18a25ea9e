"""What the readers promise, pinned exactly: every refusal's code and message, the format
chosen for each name and content type, limits at their boundaries, line splitting across
reads. (Written against the mutants `make mutation` found alive.)"""

from __future__ import annotations

import gzip
import io
import json
import re
import zipfile
from collections import deque
from collections.abc import Callable

import pytest

from sms_export.core.decoding import MAX_LINE, LimitedReader, text_lines, uncompressed
from sms_export.core.errors import InputError
from sms_export.core.models import CHUNK_SIZE, Triple
from sms_export.core.readers import detect_format, read_rows
from sms_export.core.rows import Limits, RawRow, Tally, Unparsed
from sms_export.core.validation import check_row, check_rows
from tests.support import workbook_bytes

HEADER = b"task_id,source_id,source_name\n"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UUID_A = "4B1CF0A2-7E1D-4C52-9B3E-2F8D1E0A9C11"
UUID_B = "9f2b6c1e-3d4a-4e8f-a1b2-c3d4e5f60718"


def rows(data: bytes, name: str, **options: object) -> list[RawRow]:
    return list(read_rows(io.BytesIO(data), name, **options))  # type: ignore[arg-type]


def refusal(data: bytes, name: str, **options: object) -> tuple[str, str]:
    with pytest.raises(InputError) as raised:
        deque(read_rows(io.BytesIO(data), name, **options), maxlen=0)  # type: ignore[arg-type]
    return raised.value.code, raised.value.message


@pytest.mark.parametrize(
    ("data", "name", "code", "message"),
    [
        (
            b"[1,",
            "a.json",
            "UnreadableFile",
            "a.json is not valid JSON: Expecting value: line 1 column 4 (char 3)",
        ),
        (
            b'{"x": 1}',
            "a.json",
            "UnreadableFile",
            'a.json must hold {"task_info": [...]} or a list of objects with task_id, '
            "source_id, source_name",
        ),
        (b"[]", "a.json", "NoRows", "a.json holds no rows to export."),
        (b'{"task_info": []}', "b.json", "NoRows", "b.json holds no rows to export."),
        (b"\n# only a comment\n\n", "a.jsonl", "NoRows", "a.jsonl holds no rows to export."),
        (
            HEADER + b'"a,b\n',
            "a.csv",
            "UnreadableFile",
            "a.csv is not valid CSV at row 2 (line 2): unexpected end of data",
        ),
        (
            b"PK\x03\x04garbage",
            "a.xlsx",
            "UnreadableFile",
            "a.xlsx is not a valid .xlsx workbook: File is not a zip file",
        ),
        (
            b"\n\n# x\n",
            "a.csv",
            "NoRows",
            "a.csv is empty: expected a header row task_id,source_id,source_name followed by "
            "one row per source.",
        ),
        (
            b"a,b\n",
            "a.csv",
            "MissingColumns",
            "a.csv has no column task_id, source_id, source_name. Columns found: 'a', 'b'; "
            "expected a header naming task_id, source_id, source_name "
            "(or 任务ID, 源端ID, 源端名称).",
        ),
        (
            b"\x1f\x8b\x08garbage",
            "a.csv.gz",
            "UnreadableFile",
            "a.csv.gz is not valid gzip: Compressed file ended before the end-of-stream marker "
            "was reached",
        ),
        (
            HEADER + b"\xe6\x9c",
            "a.csv",
            "UnreadableFile",
            "a.csv is not valid UTF-8 text: unexpected end of data at byte 30",
        ),
    ],
)
def test_each_refusal_has_its_code_and_a_message_naming_the_file(
    data: bytes, name: str, code: str, message: str
) -> None:
    assert refusal(data, name) == (code, message)


def test_max_rows_is_a_bound_not_a_count_off_by_one() -> None:
    data = HEADER + b"1,2,3\n" * 3
    assert len(rows(data, "a.csv", limits=Limits(max_rows=3))) == 3
    assert refusal(data, "a.csv", limits=Limits(max_rows=2)) == (
        "TooManyRows",
        "a.csv has more than MAX_ROWS (2) rows; split it into several files",
    )


@pytest.mark.parametrize("compress", [False, True])
def test_max_input_bytes_is_a_bound_counted_uncompressed(compress: bool) -> None:
    data = HEADER + b"1,2,3\n"
    name = "a.csv.gz" if compress else "a.csv"
    stored = gzip.compress(data) if compress else data
    assert len(rows(stored, name, limits=Limits(max_bytes=len(data)))) == 1
    assert refusal(stored, name, limits=Limits(max_bytes=len(data) - 1)) == (
        "InputTooLarge",
        f"{name} is larger than MAX_INPUT_BYTES ({len(data) - 1:,} bytes, counted uncompressed)",
    )


def test_the_limited_reader_counts_every_byte() -> None:
    reader = LimitedReader(io.BytesIO(b"abcdef"), 6, "x")
    assert reader.read(4) == b"abcd"
    assert reader.bytes_read == 4
    assert reader.read() == b"ef"
    assert reader.bytes_read == 6


@pytest.mark.parametrize(
    ("name", "content_type", "head", "expected"),
    [
        ("wave.CSV", None, b"{", "csv"),  # the extension wins, in any case
        ("wave.tsv", "application/json", b"[", "csv"),
        ("wave.txt", None, b"", "csv"),
        ("rows.JSONL", None, b"", "jsonl"),
        ("rows.ndjson", None, b"", "jsonl"),
        ("body.json", None, b"", "json"),
        ("sheet.xlsx", None, b"", "xlsx"),
        ("rows.jsonl.gz", None, b"", "jsonl"),  # the extension before .gz
        ("sheet.xlsx.GZ", None, b"", "xlsx"),
        ("upload.gz", "Application/JSON; charset=utf-8", b"", "json"),  # then the content type
        ("upload", "text/csv;charset=utf-8", b"[", "csv"),
        ("upload", "application/x-ndjson", b'{"task_info"', "jsonl"),
        (
            "upload",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"",
            "xlsx",
        ),
        ("upload", "application/octet-stream", b"PK\x03\x04rest", "xlsx"),  # then the content
        ("upload", None, b"\xef\xbb\xbf \r\n\t[{", "json"),
        ("upload", None, b'  {"task_info": []}', "json"),
        ("upload", None, b'{"task_id": "t"}\n', "jsonl"),
        ("upload", None, b'{"note": "' + b"x" * 200 + b'", "task_info": []}', "jsonl"),
        ("upload", None, b"task_id,source_id,source_name", "csv"),
        ("upload", None, b"X[1]", "csv"),  # only a BOM and white space are skipped
        ("upload", None, b"{" + b" " * 190 + b'"task_info": []}', "jsonl"),  # past byte 200
        ("upload", None, b"{" + b" " * 189 + b'"task_info": []}', "json"),
        ("upload", None, b"", "csv"),
    ],
)
def test_the_format_comes_from_the_extension_then_the_content_type_then_the_content(
    name: str, content_type: str | None, head: bytes, expected: str
) -> None:
    assert detect_format(name, content_type, head) == expected


def test_the_content_type_reaches_format_detection() -> None:
    """A JSON body whose `task_info` comes late: the content type says JSON, the sniffer
    alone would say JSON Lines."""
    items = [{"task_id": "t", "source_id": "s", "source_name": "n"}]
    body = json.dumps({"note": "x" * 300, "task_info": items}).encode()
    (row,) = rows(body, "upload", content_type="application/json")
    assert row.fields == items[0]


def test_columns_are_picked_by_their_header_in_any_order_and_short_rows_keep_their_number() -> None:
    data = (
        b"owner,Source Name,TASK-ID,source_id\n"
        b"ops,web-01,t-1,s-1\n"
        b"dba,db-01\n"  # too few cells
        b"  # an indented comment\n"
        b"x,db-02,t-3,s-3,,\n"  # padded with separators, as spreadsheets write
    )
    tally = Tally()
    read = rows(data, "a.csv", tally=tally)
    assert [(row.number, row.fields) for row in read] == [
        (2, {"source_name": "web-01", "task_id": "t-1", "source_id": "s-1"}),
        (3, {"source_name": "db-01"}),
        (5, {"source_name": "db-02", "task_id": "t-3", "source_id": "s-3"}),
    ]
    assert tally.comments == 1
    rejected = check_row(read[1])
    assert getattr(rejected, "values", None) == {
        "task_id": "",
        "source_id": "",
        "source_name": "db-01",
    }


def test_a_header_is_matched_only_by_its_own_letters() -> None:
    code, message = refusal(b"Xtask_id,source_id,source_name\n1,2,3\n", "a.csv")
    assert code == "MissingColumns"
    assert "no column task_id." in message


@pytest.mark.parametrize(
    ("first_row", "headerless"),
    [
        (f"{UUID_A},{UUID_B},web-01", True),  # upper-case UUIDs are UUIDs too
        (f"{UUID_A},{UUID_B}", False),  # two cells: not plainly data
        (f"{UUID_A},{UUID_B},web-01,extra", False),
        (f"{UUID_A.replace('4B1C', '4B1G')},{UUID_B},web-01", False),  # not hex
        (f"{UUID_A.replace('4B1C', '4B1X')},{UUID_B},web-01", False),
        (f"{UUID_A}0,{UUID_B},web-01", False),  # a group too long
        (f"web-01,{UUID_A},{UUID_B}", False),
    ],
)
def test_a_headerless_file_must_begin_with_plain_data(first_row: str, headerless: bool) -> None:
    data = (first_row + "\n").encode()
    if headerless:
        (row,) = rows(data, "a.csv")
        assert (row.number, row.fields["source_name"]) == (1, "web-01")
    else:
        assert refusal(data, "a.csv")[0] == "MissingColumns"


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ('"task;id",source_id,source_name,task_id', ","),  # quoted separators do not count
        ("task_id;source_id;source_name", ";"),
        ("task_id\tsource_id\tsource_name", "\t"),
        ('task_id;"a,b,c,d";source_id;source_name', ";"),
    ],
)
def test_the_separator_is_the_one_most_used_outside_quotes(header: str, delimiter: str) -> None:
    cells = {"task_id": "t-1", "source_id": "s-1", "source_name": "n,1"}
    columns = [c.strip('"') for c in header.split(delimiter)] if delimiter != "," else None
    names = columns or ["task;id", "source_id", "source_name", "task_id"]
    line = delimiter.join(f'"{cells.get(name, "x")}"' for name in names)
    (row,) = rows(f"{header}\n{line}\n".encode(), "a.csv")
    assert row.fields == cells


def test_json_lines_count_blank_and_comment_lines_and_read_on_after_them() -> None:
    data = b'\n{"task_id": "t-1"}\n\n  # note\n#x\n{"task_id": "t-2"}\n'
    tally = Tally()
    read = rows(data, "a.jsonl", tally=tally)
    assert [(row.number, row.fields) for row in read] == [
        (2, {"task_id": "t-1"}),
        (6, {"task_id": "t-2"}),
    ]
    assert (tally.blank, tally.comments) == (2, 2)


def test_a_workbook_gives_values_not_formulas_and_whole_numbers_as_integers() -> None:
    data = workbook_bytes(
        ["task_id", "source_id", "source_name"],
        [12345.0, 678, "web-01"],
        ["t-2", "s-2", "=A2&B2"],  # no cached value: a formula is not a name
        ["t-3", 1.5, "db"],
    )
    read = rows(data, "sheet.xlsx")
    assert [row.fields for row in read] == [
        {"task_id": "12345", "source_id": "678", "source_name": "web-01"},
        {"task_id": "t-2", "source_id": "s-2", "source_name": ""},
        {"task_id": "t-3", "source_id": "1.5", "source_name": "db"},
    ]


def test_a_number_too_large_to_keep_its_digits_rejects_its_row_and_never_becomes_other_digits() -> (
    None
):
    data = workbook_bytes(
        ["task_id", "source_id", "source_name"],
        [1234567890123456789.0, "s-1", "web-01"],  # Excel: 1.23456789012346E+18
        [42.0, float(2**53 - 1), "db"],  # whole numbers a double holds exactly
        ["t-3", 2.0**60, "db-2"],
        ["t-4", "s-4", -1e300],  # a name is not sent with other digits either
    )
    checked = check_rows(rows(data, "ids.xlsx"), "any")
    assert checked.valid == [
        Triple("42", str(2**53 - 1), "db"),
    ]
    assert [(r.row, r.reason) for r in checked.rejected] == [
        (
            2,
            "task_id is the number 1.23456789012346E+18, too large for a spreadsheet to keep "
            "every digit: the digits typed are lost; format the column as Text and type it "
            "again",
        ),
        (4, "source_id is the number 1.15292150460685E+18, too large" + ANY_TEXT),
        (5, "source_name is the number -1E+300, too large" + ANY_TEXT),
    ]
    assert checked.rejected[0].values == {
        "task_id": "1.23456789012346E+18",
        "source_id": "s-1",
        "source_name": "web-01",
    }


ANY_TEXT = (
    " for a spreadsheet to keep every digit: the digits typed are lost; format the column as "
    "Text and type it again"
)


# -- lines across reads -----------------------------------------------------------------------
def test_a_line_spanning_several_reads_is_joined_exactly() -> None:
    long = "x" * (2 * CHUNK_SIZE + 10) + "\n"
    assert list(text_lines(io.BytesIO(("a\n" + long + "b").encode()), "t")) == ["a\n", long, "b"]


def test_a_line_of_exactly_max_line_characters_is_read() -> None:
    assert list(text_lines(io.BytesIO(b"y" * MAX_LINE), "t")) == ["y" * MAX_LINE]
    with pytest.raises(InputError) as raised:
        deque(text_lines(io.BytesIO(b"y" * (MAX_LINE + 1)), "long.csv"), maxlen=0)
    assert raised.value.message == (
        f"long.csv has a line longer than {MAX_LINE:,} characters: not a table"
    )


def test_a_long_line_after_many_short_ones_is_measured_from_its_own_start() -> None:
    short = b"s\n" * (CHUNK_SIZE // 2 - 10)  # fills most of the first read
    long = b"z" * (MAX_LINE - 100)
    lines = list(text_lines(io.BytesIO(short + long), "t"))
    assert lines[-1] == long.decode()
    assert len(lines) == CHUNK_SIZE // 2 - 9


def test_files_with_only_cr_line_ends_are_split_at_every_read() -> None:
    data = b"abc\r" * (MAX_LINE // 3)  # longer than MAX_LINE in all, every line short
    lines = list(text_lines(io.BytesIO(data), "t"))
    assert len(lines) == MAX_LINE // 3
    assert set(lines) == {"abc\r"}


@pytest.mark.parametrize("text", ["\x0bab\ncd\n", "ab\ncd\x85e\n", "\u2028\n"])
def test_other_unicode_breaks_stay_inside_their_line_even_first_in_a_read(text: str) -> None:
    expected = [line + "\n" for line in text.split("\n")[:-1]]  # split at line feeds only
    assert list(text_lines(io.BytesIO(text.encode()), "t")) == expected


@pytest.mark.parametrize("brk", ["\u2028", "\x0c"])
def test_a_crlf_split_across_reads_beside_another_break_is_one_line_end(brk: str) -> None:
    first = "t-1,s-1," + brk + "n" * (CHUNK_SIZE - 40)
    first = first[: CHUNK_SIZE - 1 - len(HEADER) - len(brk.encode()) + 1]
    text = HEADER.decode() + first + "\r\nt-2,s-2,n\r\n"
    data = text.encode()
    assert data.index(b"\r\n", len(HEADER)) == CHUNK_SIZE - 1
    ends = [line[-2:] for line in text_lines(io.BytesIO(data), "t")]
    assert ends == ["e\n", "\r\n", "\r\n"]  # the header, then two rows: no blank line


def test_a_bad_byte_after_a_character_split_across_reads_is_named_exactly() -> None:
    prefix = b"a" * (2 * CHUNK_SIZE - 1) + "服".encode()  # split over the second boundary
    data = prefix + b"\xff\n"
    with pytest.raises(InputError) as raised:
        deque(text_lines(io.BytesIO(data), "t.csv"), maxlen=0)
    assert raised.value.message == (
        f"t.csv is not valid UTF-8 text: invalid start byte at byte {len(prefix)}"
    )


def test_a_gzip_stream_is_inflated_and_named_in_its_errors() -> None:
    data = gzip.compress(b"hello\n")
    assert uncompressed(io.BytesIO(data), 100, "x.gz").read() == b"hello\n"
    with pytest.raises(InputError) as raised:
        uncompressed(io.BytesIO(data[:-4]), 100, "cut.gz").read()
    assert raised.value.code == "UnreadableFile"
    assert raised.value.message.startswith("cut.gz is not valid gzip: ")


@pytest.mark.parametrize(
    ("data", "name", "code", "message"),
    [
        (
            b"",
            "a.csv",
            "NoRows",
            "a.csv is empty: expected a header row "
            "task_id,source_id,source_name followed by one row per source.",
        ),
        (
            b"a\x00b",
            "bin.csv",
            "UnreadableFile",
            "bin.csv looks binary (a NUL byte at byte 1), not a text file",
        ),
        (
            b'{"task_id": "\xff"}',
            "rows.jsonl",
            "UnreadableFile",
            "rows.jsonl is neither UTF-8, UTF-16 nor GB18030 text (it fails as UTF-8 at byte 13)",
        ),
        (
            workbook_bytes(["task", "source", "name"]),
            "sheet.xlsx",
            "MissingColumns",
            "sheet.xlsx has no column task_id, source_id, source_name. Columns found: 'task', "
            "'source', 'name'; expected a header naming task_id, source_id, source_name "
            "(or 任务ID, 源端ID, 源端名称).",
        ),
        (
            b"y" * (MAX_LINE + 1),
            "one.csv",
            "UnreadableFile",
            f"one.csv has a line longer than {MAX_LINE:,} characters: not a table",
        ),
    ],
)
def test_more_refusals_named_exactly(data: bytes, name: str, code: str, message: str) -> None:
    assert refusal(data, name) == (code, message)


@pytest.mark.parametrize(
    "data",
    [
        b"\ntask_id;source_id;source_name\nt-1;s-1;web,01\n",  # a blank line first
        b"  # wave;1;2;3\ntask_id|x\n".replace(b"task_id|x", b"task_id;source_id;source_name")
        + b"\nt-1;s-1;web,01\n",  # an indented comment first
        b"# a;b;c;d;e\ntask_id;source_id;source_name\nt-1;s-1;web,01\n",
        b"task_id;source_id;source_name;notes, more\nt-1;s-1;web,01;n\n",  # more ; than ,
    ],
)
def test_the_separator_comes_from_the_header_line_not_blank_or_comment_lines(data: bytes) -> None:
    (row,) = rows(data, "a.csv")
    assert row.fields == {"task_id": "t-1", "source_id": "s-1", "source_name": "web,01"}


def test_a_comma_file_after_a_comment_full_of_semicolons_stays_a_comma_file() -> None:
    data = b"  # wave;1;2;3\ntask_id,source_id,source_name\nt-1,s-1,web;01\n"
    (row,) = rows(data, "a.csv")
    assert row.fields == {"task_id": "t-1", "source_id": "s-1", "source_name": "web;01"}


def test_whole_numbers_from_a_sheet_are_written_without_a_fraction() -> None:
    from sms_export.core.workbooks import _cell_text

    assert [_cell_text(v) for v in (12345.0, 1.5, 7, None, "x")] == ["12345", "1.5", "7", "", "x"]
    # The last whole number a double holds exactly, and the first it may hold for another.
    exact, inexact = _cell_text(float(2**53 - 1)), _cell_text(float(2**53))
    assert (exact, type(exact).__name__) == (str(2**53 - 1), "str")
    assert (inexact, type(inexact).__name__) == ("9.00719925474099E+15", "InexactNumber")


def test_a_json_lines_row_nested_too_deep_is_one_rejected_row() -> None:
    deep = b"[" * 5_000 + b"]" * 5_000
    read = rows(b'{"task_id": "t"}\n' + deep + b'\n{"task_id": "u"}\n', "a.jsonl")
    assert [(row.number, row.fields) for row in read] == [
        (1, {"task_id": "t"}),
        (2, Unparsed("not a row: nested deeper than 64 levels")),
        (3, {"task_id": "u"}),
    ]


def test_files_concatenated_with_cat_skip_the_second_header_and_count_it() -> None:
    first = b"task_id,source_id,source_name\r\nt-1,s-1,web-01\r\n"
    second = "\ufeffTask ID,Source ID,Source Name\r\nt-2,s-2,db-01\r\n".encode()  # a BOM'd one
    tally = Tally()
    read = rows(first + second, "a.csv", tally=tally)
    assert [(row.number, row.fields["task_id"]) for row in read] == [(2, "t-1"), (4, "t-2")]
    assert tally.headers == 1


def test_a_header_with_invisible_characters_is_still_the_header() -> None:
    data = "task\u200b_id,source_id,\ufeffsource_name\nt-1,s-1,n\n".encode()
    (row,) = rows(data, "a.csv")
    assert row.fields == {"task_id": "t-1", "source_id": "s-1", "source_name": "n"}


def test_a_data_row_without_digits_is_data() -> None:
    data = b"task_id,source_id,source_name\nalpha,beta,gamma\n"
    tally = Tally()
    (row,) = rows(data, "a.csv", tally=tally)
    assert row.fields == {"task_id": "alpha", "source_id": "beta", "source_name": "gamma"}
    assert tally.headers == 0


def test_a_syntax_error_names_the_spreadsheet_row_after_multi_line_cells() -> None:
    data = HEADER + b't-1,s-1,"two\nlines"\nt-2,s-2,n\nt-3,s-3,"a" b\n'
    assert refusal(data, "a.csv") == (
        "UnreadableFile",
        "a.csv is not valid CSV at row 4 (line 5): ',' expected after '\"'",
    )


def rewritten(workbook: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one zip member's content changed, the rest copied as it was."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, change(data) if info.filename == member else data)
    return buffer.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
FIVE_ROWS = [
    ["task_id", "source_id", "source_name"],
    *[[f"t-{n}", f"s-{n}", "n"] for n in range(4)],
]


def test_a_stale_dimension_does_not_hide_rows() -> None:
    data = rewritten(
        workbook_bytes(*FIVE_ROWS),
        SHEET,
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:C2"', xml),
    )
    assert b'ref="A1:C2"' in zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    assert [row.fields["task_id"] for row in rows(data, "sheet.xlsx")] == [
        "t-0",
        "t-1",
        "t-2",
        "t-3",
    ]


def test_malformed_sheet_xml_is_an_unreadable_file() -> None:
    data = rewritten(workbook_bytes(*FIVE_ROWS), SHEET, lambda xml: xml[: len(xml) // 2])
    code, message = refusal(data, "sheet.xlsx")
    assert code == "UnreadableFile"
    assert message.startswith("sheet.xlsx is not a valid .xlsx workbook: ")


def test_a_bad_crc_inside_a_sheet_is_an_unreadable_file() -> None:
    """The sheet inflates, but not to what its CRC says: found only while rows are read."""
    good = workbook_bytes(*FIVE_ROWS)
    central = good.index(b"PK\x01\x02" + good[good.index(b"PK\x01\x02") + 4 :][:0])
    damaged = bytearray(good)
    while True:  # the sheet's entry in the central directory; its CRC is at offset 16
        name_length = int.from_bytes(damaged[central + 28 : central + 30], "little")
        if damaged[central + 46 : central + 46 + name_length] == SHEET.encode():
            break
        extra = int.from_bytes(damaged[central + 30 : central + 32], "little")
        comment = int.from_bytes(damaged[central + 32 : central + 34], "little")
        central += 46 + name_length + extra + comment
    damaged[central + 16] ^= 0xFF
    code, message = refusal(bytes(damaged), "sheet.xlsx")
    assert (code, message) == (
        "UnreadableFile",
        f"sheet.xlsx is not a valid .xlsx workbook: Bad CRC-32 for file '{SHEET}'",
    )


def test_a_workbook_bomb_is_refused_by_its_inflated_size() -> None:
    padding = b"<!--" + b" " * 2_000_000 + b"-->"
    data = rewritten(
        workbook_bytes(*FIVE_ROWS),
        SHEET,
        lambda xml: xml.replace(b"<sheetData>", padding + b"<sheetData>"),
    )
    assert len(data) < 30_000  # two megabytes once inflated
    assert refusal(data, "bomb.xlsx", limits=Limits(max_bytes=1_000_000)) == (
        "InputTooLarge",
        "bomb.xlsx is larger than MAX_INPUT_BYTES (1,000,000 bytes, counted uncompressed)",
    )
    assert len(rows(data, "bomb.xlsx")) == 4  # under the default limit, it is read


def test_one_huge_cell_is_one_rejected_row_not_a_failed_file() -> None:
    data = HEADER + b"t-1,s-1,web-01\n" + b"t-2,s-2," + b"x" * 300_000 + b"\nt-3,s-3,db\n"
    checked = [check_row(row, "any") for row in rows(data, "a.csv")]
    assert [getattr(item, "reason", None) for item in checked] == [
        None,
        "source_name is longer than 255 characters (300000)",
        None,
    ]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_one_huge_json_lines_line_is_one_rejected_row(ending: bytes) -> None:
    huge = b'{"task_id": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    data = b'{"task_id": "t-1"}' + ending + huge + ending + b'{"task_id": "t-3"}' + ending
    assert [(row.number, row.fields) for row in rows(data, "a.jsonl")] == [
        (1, {"task_id": "t-1"}),
        (2, Unparsed(f"not a row: longer than {MAX_LINE:,} characters")),
        (3, {"task_id": "t-3"}),
    ]


def test_a_huge_last_json_lines_line_without_an_end_is_one_rejected_row() -> None:
    data = b'{"task_id": "t-1"}\n' + b"y" * (MAX_LINE + 10)
    assert [row.number for row in rows(data, "a.jsonl")] == [1, 2]


def test_a_huge_line_whose_crlf_is_split_across_reads_is_still_one_line() -> None:
    prefix = b'{"task_id": "t-1"}\n'
    huge = b"z" * (MAX_LINE + 2 * CHUNK_SIZE - (MAX_LINE % CHUNK_SIZE) - len(prefix) - 1)
    data = prefix + huge + b"\r\n" + b'{"task_id": "t-3"}\n'
    assert data.index(b"\r\n") % CHUNK_SIZE == CHUNK_SIZE - 1  # the CR ends a read
    tally = Tally()
    read = rows(data, "a.jsonl", tally=tally)
    assert [row.number for row in read] == [1, 2, 3]
    assert tally.blank == 0


@pytest.mark.parametrize(
    ("data", "cells", "width"),
    [
        (HEADER + b"t-1,s-1,web,01\n", 4, 3),  # an unquoted comma in the name
        (b"owner,task_id,source_id,source_name\nops,t-1,s-1,web,01,\n", 5, 4),
        (
            b"4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c11,9f2b6c1e-3d4a-4e8f-a1b2-c3d4e5f60718,n\n"
            b"t-2,s-2,a,b\n",
            4,
            3,
        ),  # headerless
    ],
)
def test_a_row_with_more_cells_than_the_header_is_rejected_not_shifted(
    data: bytes, cells: int, width: int
) -> None:
    last = rows(data, "a.csv")[-1]
    assert last.fields == Unparsed(
        f"has {cells} cells where the header has {width}: a separator inside a value that "
        "is not quoted shifts the columns after it"
    )


@pytest.mark.parametrize("name", ["a.jsonl", "a.json"])
def test_an_item_naming_a_field_twice_is_rejected_not_guessed(name: str) -> None:
    item = '{"task_id": "t-1", "source_id": "s-1", "source_name": "a", "source_name": "b"}'
    good = '{"task_id": "t-2", "source_id": "s-2", "source_name": "c", "note": 1, "note": 2}'
    text = f"{item}\n{good}\n" if name == "a.jsonl" else f'{{"task_info": [{item}, {good}]}}'
    first, second = (check_row(row, "any") for row in rows(text.encode(), name))
    assert getattr(first, "reason", None) == (
        "names source_name more than once: which value is meant is unknown"
    )
    assert second == Triple("t-2", "s-2", "c")  # a key repeated that the API does not take


def test_fields_named_twice_are_all_named_and_the_row_kept_for_the_report() -> None:
    text = (
        '{"task_id": "a", "task_id": "b", "source_id": "s", "source_name": "x", "source_name": "y"}'
    )
    (row,) = rows(text.encode(), "a.jsonl")
    rejection = check_row(row)
    assert getattr(rejection, "reason", None) == (
        "names source_name, task_id more than once: which value is meant is unknown"
    )
    assert getattr(rejection, "values", None) == {
        "task_id": "b",
        "source_id": "s",
        "source_name": "y",
    }


def test_two_repeated_headers_count_two_and_rows_after_a_shifted_one_are_read() -> None:
    data = HEADER + b"t-1,s-1,a\n" + HEADER + b"t-2,s-2,b,c\nt-3,s-3,d\n" + HEADER
    tally = Tally()
    read = rows(data, "a.csv", tally=tally)
    assert [row.number for row in read] == [2, 4, 5]
    assert isinstance(read[1].fields, Unparsed)
    assert read[2].fields["task_id"] == "t-3"
    assert tally.headers == 2


def test_a_headerless_file_is_three_columns_wide_whatever_its_first_row() -> None:
    first = b"4b1cf0a2-7e1d-4c52-9b3e-2f8d1e0a9c11,9f2b6c1e-3d4a-4e8f-a1b2-c3d4e5f60718,,n\n"
    read = rows(first + b"t,s,n,x\n", "a.csv")
    assert isinstance(read[1].fields, Unparsed)


def test_a_syntax_error_in_the_first_record_is_row_1() -> None:
    assert refusal(b'"task_id,source_id\n', "a.csv")[1].startswith(
        "a.csv is not valid CSV at row 1"
    )


def test_the_inflated_size_limit_is_exact() -> None:
    data = workbook_bytes(*FIVE_ROWS)
    inflated = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert len(rows(data, "s.xlsx", limits=Limits(max_bytes=max(inflated, len(data))))) == 4
    assert refusal(data, "s.xlsx", limits=Limits(max_bytes=inflated - 1))[0] == "InputTooLarge"


def test_a_damaged_sheet_says_what_failed() -> None:
    data = rewritten(workbook_bytes(*FIVE_ROWS), SHEET, lambda xml: xml[: len(xml) // 2])
    message = refusal(data, "sheet.xlsx")[1]
    assert not message.endswith("None")
    assert len(message) > len("sheet.xlsx is not a valid .xlsx workbook: ") + 5


@pytest.mark.parametrize("end", [b"\n", b"\r"])
def test_a_blank_line_right_after_a_skipped_line_is_still_counted(end: bytes) -> None:
    """The skipped line ends exactly at the end of a read; the next read starts with a
    blank line, which must not be taken for the second half of a CRLF."""
    prefix = b'{"task_id": "t-1"}\n'
    huge = b"z" * (MAX_LINE + 2 * CHUNK_SIZE - (MAX_LINE % CHUNK_SIZE) - len(prefix) - 1)
    data = prefix + huge + end + b"\n" + b'{"task_id": "t-4"}\n'
    assert (len(prefix) + len(huge)) % CHUNK_SIZE == CHUNK_SIZE - 1  # `end` ends a read
    tally = Tally()
    read = rows(data, "a.jsonl", tally=tally)
    if end == b"\r":  # a CR then a LF across reads: one line end, no blank line
        assert ([row.number for row in read], tally.blank) == ([1, 2, 3], 0)
    else:
        assert ([row.number for row in read], tally.blank) == ([1, 2, 4], 1)


def test_after_a_split_crlf_a_later_blank_line_at_a_read_is_still_counted() -> None:
    prefix = b'{"task_id": "t-1"}\n'
    huge = b"z" * (MAX_LINE + 2 * CHUNK_SIZE - (MAX_LINE % CHUNK_SIZE) - len(prefix) - 1)
    head = prefix + huge + b"\r"  # ends a read
    filler = b'{"task_id": "' + b"f" * (CHUNK_SIZE - 1 - 15) + b'"}'  # fills the next read
    data = head + b"\n" + filler + b"\n\n" + b'{"task_id": "t-5"}\n'
    assert len(head + b"\n" + filler) % CHUNK_SIZE == 0  # the filler's line end opens a read
    tally = Tally()
    read = rows(data, "a.jsonl", tally=tally)
    assert ([row.number for row in read], tally.blank) == ([1, 2, 3, 5], 1)
