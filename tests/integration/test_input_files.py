"""Input files through the whole function: strict mode, the rejects report, limits, formats."""

from __future__ import annotations

import csv
import io
import json

import pytest

import index
from emulator import EmulatorServer
from localrun.contexts import LambdaContext
from tests.support import FIXTURES, INPUT_BUCKET, Aws, csv_text, triples, workbook_bytes


def upload_fixture(aws: Aws, name: str, key: str | None = None) -> dict[str, object]:
    return aws.upload(key or f"incoming/{name}", (FIXTURES / name).read_bytes())


@pytest.mark.parametrize(
    "name",
    [
        "tasks.xlsx",
        "tasks.csv.gz",
        "gbk.csv",
        "rows.jsonl.gz",
        "excel-unicode-text.txt",
        "api-body.json",
    ],
)
def test_every_format_exports_through_the_function(
    emulator: EmulatorServer, aws: Aws, name: str
) -> None:
    outcome = index.handler(upload_fixture(aws, name), LambdaContext())
    assert outcome["rows"]["exported"] == 3
    assert {item[2] for item in aws.exported_items()} == {"web-01", "数据库主机", "文件服务器 02"}


def test_the_rejects_report_is_stored_escaped_and_pointed_to(
    emulator: EmulatorServer, aws: Aws
) -> None:
    rows = [list(row) for row in triples(4)]
    rows[1][1] = ""
    rows[2][2] = '=HYPERLINK("http://x")' + "\x07"
    rows[3][0] = "@" + "t" * 300
    outcome = index.handler(aws.upload("incoming/t.csv", csv_text(rows)), LambdaContext())

    report_uri = outcome["rejects_report"]
    assert report_uri.startswith(f"s3://{INPUT_BUCKET}/consistency-results/{INPUT_BUCKET}/")
    assert report_uri.endswith("/incoming/t.csv/" + report_uri.split("/")[-2] + "/rejected.csv")
    key = report_uri.removeprefix(f"s3://{INPUT_BUCKET}/")
    content = aws.s3.get_object(Bucket=INPUT_BUCKET, Key=key)["Body"].read().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(content)))
    assert table[0] == ["row", "reason", "task_id", "source_id", "source_name"]
    assert [line[0] for line in table[1:]] == ["3", "4", "5"]
    assert table[2][4].startswith("'=HYPERLINK")  # never run as a formula
    assert table[3][2].startswith("'@")
    (notification,) = aws.read_notifications()
    assert json.loads(notification["Message"])["rejects_report"] == report_uri


def test_a_numeric_id_a_sheet_cannot_hold_exactly_is_rejected_not_sent_as_other_digits(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ID_FORMAT", "any")
    data = workbook_bytes(
        ["task_id", "source_id", "source_name"],
        ["t-1", 1234567890123456789.0, "web-01"],  # Excel shows 1.23456789012346E+18
        ["t-2", 42.0, "db"],
    )
    outcome = index.handler(aws.upload("incoming/ids.xlsx", data), LambdaContext())
    assert outcome["rejected"] == [
        {
            "row": 2,
            "reason": "source_id is the number 1.23456789012346E+18, too large for a "
            "spreadsheet to keep every digit: the digits typed are lost; format the column "
            "as Text and type it again",
        }
    ]
    assert aws.exported_items() == [("t-2", "42", "db")]
    key = outcome["rejects_report"].removeprefix(f"s3://{INPUT_BUCKET}/")
    report = aws.s3.get_object(Bucket=INPUT_BUCKET, Key=key)["Body"].read().decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(report)))[1][2:] == ["t-1", "1.23456789012346E+18", "web-01"]


def test_strict_mode_rejects_the_whole_file_and_exports_nothing(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRICT_VALIDATION", "true")
    rows = [list(row) for row in triples(5)]
    rows[3][0] = ""
    outcome = index.handler(aws.upload("incoming/t.csv", csv_text(rows)), LambdaContext())
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "StrictValidation"
    assert outcome["rejected"] == [{"row": 5, "reason": "task_id is empty"}]
    assert outcome["batches"] == []
    assert emulator.backend.calls == []
    assert outcome["rejects_report"]


def test_strict_mode_exports_a_clean_file_whole(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRICT_VALIDATION", "true")
    outcome = index.handler(aws.upload("incoming/t.csv", csv_text(triples(5))), LambdaContext())
    assert (outcome["status"], outcome["rows"]["exported"], outcome["error"]) == (
        "succeeded",
        5,
        None,
    )
    assert sorted(aws.exported_items()) == triples(5)


@pytest.mark.parametrize(
    ("variable", "value", "code"),
    [("MAX_ROWS", "100", "TooManyRows"), ("MAX_INPUT_BYTES", "2000", "InputTooLarge")],
)
def test_over_a_limit_nothing_is_exported(
    emulator: EmulatorServer,
    aws: Aws,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    code: str,
) -> None:
    monkeypatch.setenv(variable, value)
    outcome = index.handler(aws.upload("incoming/t.csv", csv_text(triples(101))), LambdaContext())
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == code
    assert value in outcome["error"]["message"].replace(",", "")
    assert emulator.backend.calls == []


def test_blank_and_comment_rows_are_counted_in_the_outcome(
    emulator: EmulatorServer, aws: Aws
) -> None:
    outcome = index.handler(upload_fixture(aws, "blank-and-comments.csv"), LambdaContext())
    assert (outcome["rows"]["blank"], outcome["rows"]["comments"]) == (3, 2)
    assert outcome["status"] == "succeeded"
