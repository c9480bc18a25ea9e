"""rejected.csv: rows an operator fixes in a spreadsheet, safe to open there."""

from __future__ import annotations

import csv
import io

from sms_export.core.models import Rejection
from sms_export.core.rejects import FILENAME, rejects_csv, spreadsheet_csv, spreadsheet_safe


def rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # Excel reads the names as UTF-8 then
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised() -> None:
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheet_safe(cell) == "'" + cell
    assert spreadsheet_safe("web-01=a") == "web-01=a"  # only at the start


def test_the_rejected_rows_keep_their_number_reason_and_values() -> None:
    rejected = [
        Rejection(
            row=3,
            reason="source_id is empty",
            values={"task_id": "t-1", "source_name": "=cmd|' /C calc'!A0"},
        ),
        Rejection(row=7, reason="not valid JSON"),  # nothing parsed: empty cells
    ]
    assert rows(rejects_csv(rejected)) == [
        ["row", "reason", "task_id", "source_id", "source_name"],
        ["3", "source_id is empty", "t-1", "", "'=cmd|' /C calc'!A0"],
        ["7", "not valid JSON", "", "", ""],
    ]
    assert FILENAME.endswith(".csv")


def test_a_lone_surrogate_is_written_as_its_escape_not_an_error() -> None:
    content = spreadsheet_csv(["name"], [["web\udc80"]])
    assert rows(content) == [["name"], ["web\\udc80"]]
