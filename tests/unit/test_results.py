"""The exports merged into one file: one header, one sheet, or the reason why not."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable

import pytest
from openpyxl import Workbook, load_workbook

from sms_export.core.ports import StoredObject
from sms_export.core.results import NotMergeable, kind, merged, merged_csv


def opener(files: dict[str, bytes]) -> Callable[[str], StoredObject]:
    return lambda key: StoredObject(io.BufferedReader(io.BytesIO(files[key])), None, None)


def test_csv_exports_are_merged_under_the_first_header() -> None:
    files = {
        "f/batch-1.csv": codecs.BOM_UTF8 + b"task_id,source_id,verdict\r\na,1,ok\r\n",
        "f/batch-2.csv": codecs.BOM_UTF8 + b"task_id,source_id,verdict\r\nb,2,ok\r\nc,3,no",
        "f/batch-3.csv": b"task_id,source_id,verdict\nd,4,ok\n",
    }
    content = b"".join(merged_csv(list(files), opener(files)))
    assert content == (
        codecs.BOM_UTF8 + b"task_id,source_id,verdict\r\na,1,ok\r\nb,2,ok\r\nc,3,no\nd,4,ok\n"
    )


def test_csv_exports_with_other_columns_are_not_merged() -> None:
    files = {"f/a.csv": b"x,y\n1,2\n", "f/b.csv": b"x,z\n3,4\n"}
    with pytest.raises(NotMergeable, match=r"b\.csv has other columns than the first export"):
        b"".join(merged_csv(list(files), opener(files)))


def workbook(*rows: tuple[str | int, ...]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_exports_are_merged_into_one_sheet() -> None:
    files = {
        "f/1.xlsx": workbook(("task_id", "files"), ("a", 10)),
        "f/2.xlsx": workbook(("task_id", "files"), ("b", 20), ("c", 30)),
    }
    content = b"".join(merged(".xlsx", list(files), opener(files)))
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("task_id", "files"),
        ("a", 10),
        ("b", 20),
        ("c", 30),
    ]


def test_xlsx_exports_with_other_columns_or_damaged_are_not_merged() -> None:
    files = {"f/1.xlsx": workbook(("a",), (1,)), "f/2.xlsx": workbook(("b",), (2,))}
    with pytest.raises(NotMergeable, match=r"2\.xlsx has other columns"):
        b"".join(merged(".xlsx", list(files), opener(files)))
    files["f/2.xlsx"] = b"PK\x03\x04 not really"
    with pytest.raises(NotMergeable, match=r"2\.xlsx is not a readable workbook"):
        b"".join(merged(".xlsx", list(files), opener(files)))


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["a/batch-1.csv", "a/batch-2.CSV"], ".csv"),
        (["a/batch-1.xlsx"], ".xlsx"),
    ],
)
def test_the_kind_is_the_extension_all_exports_share(keys: list[str], expected: str) -> None:
    assert kind(keys) == expected


@pytest.mark.parametrize(
    ("keys", "reason"),
    [
        (["a/1.csv", "a/2.xlsx"], "the exports are .csv, .xlsx files, not all CSV or all xlsx"),
        (["a/1.zip"], "the exports are .zip files, not all CSV or all xlsx"),
        (["a/1"], "the exports are no extension files, not all CSV or all xlsx"),
    ],
)
def test_exports_of_other_or_mixed_kinds_are_not_merged(keys: list[str], reason: str) -> None:
    with pytest.raises(NotMergeable) as raised:
        kind(keys)
    assert str(raised.value) == reason
