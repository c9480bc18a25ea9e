"""End to end: `index.handler` on real events, the real SDK against the emulator, moto S3/SNS."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import index
from emulator import EmulatorServer
from localrun.contexts import FunctionGraphContext, LambdaContext
from tests.support import (
    ACCESS_KEY,
    EVENTS,
    INPUT_BUCKET,
    SECRET_KEY,
    Aws,
    batch_file,
    csv_text,
    load_event,
    parse_export,
    triples,
)


@pytest.mark.parametrize("count", [200, 201, 1000])
def test_an_upload_is_exported_exactly_once_with_one_notification(
    emulator: EmulatorServer, aws: Aws, count: int
) -> None:
    rows = triples(count)
    outcome = index.handler(aws.upload("incoming/tasks.csv", csv_text(rows)), LambdaContext())

    assert outcome["status"] == "succeeded"
    assert outcome["rows"] == {
        "received": count,
        "valid": count,
        "rejected": 0,
        "duplicates": 0,
        "exported": count,
        "blank": 0,
        "comments": 0,
        "headers": 0,
    }
    exported = aws.exported_items()
    assert Counter(exported) == Counter(rows)  # every row, exactly once
    stored = [key for key in aws.stored("consistency-results/") if "/batch-" in key]
    assert sorted(batch["export"] for batch in outcome["batches"]) == sorted(
        f"s3://{INPUT_BUCKET}/{key}" for key in stored
    )
    for batch in outcome["batches"]:
        assert batch["size"] <= 200
        assert batch["request_id"]
    (notification,) = aws.read_notifications()
    assert json.loads(notification["Message"])["rows"]["exported"] == count
    assert notification["Subject"].startswith("SMS consistency export succeeded")
    assert outcome["notification"]["status"] == "published"


def test_bad_rows_are_reported_by_row_number_and_the_rest_exported(
    emulator: EmulatorServer, aws: Aws
) -> None:
    rows: list[list[str]] = [list(row) for row in triples(50)]
    rows[4][0] = ""  # spreadsheet row 6
    rows[20][2] = "x" * 256  # row 22
    rows[47][1] = "bad\x01id"  # row 49
    outcome = index.handler(aws.upload("incoming/tasks.csv", csv_text(rows)), LambdaContext())

    assert outcome["status"] == "partial"
    assert [r["row"] for r in outcome["rejected"]] == [6, 22, 49]
    assert outcome["rejected"][0]["reason"] == "task_id is empty"
    assert outcome["rows"]["exported"] == 47
    assert len(aws.exported_items()) == 47


def test_duplicates_are_exported_once_and_counted(emulator: EmulatorServer, aws: Aws) -> None:
    rows = triples(10)
    outcome = index.handler(aws.upload("in/dups.csv", csv_text(rows + rows[:3])), LambdaContext())
    assert outcome["status"] == "succeeded"
    assert outcome["rows"]["duplicates"] == 3
    assert sorted(aws.exported_items()) == sorted(rows)


def test_a_uuid_in_upper_case_is_a_duplicate_of_its_lower_case(
    emulator: EmulatorServer, aws: Aws
) -> None:
    rows = triples(10)
    shouted = [(task.upper(), source.upper(), name) for task, source, name in rows[:3]]
    outcome = index.handler(aws.upload("in/dups.csv", csv_text(rows + shouted)), LambdaContext())
    assert outcome["rows"]["duplicates"] == 3
    assert sorted(aws.exported_items()) == sorted(rows)  # SMS's own lower-case form


@pytest.mark.parametrize("key", ["incoming/wave 1/服务器 清单+v2.csv", "a+b c/d+e/f.csv"])
def test_keys_with_spaces_plus_non_ascii_and_folders_are_read(
    emulator: EmulatorServer, aws: Aws, key: str
) -> None:
    outcome = index.handler(aws.upload(key, csv_text(triples(3))), LambdaContext())
    assert outcome["status"] == "succeeded"
    assert outcome["input"] == f"s3://{INPUT_BUCKET}/{key}"


def test_a_direct_event_of_any_length_is_split(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "out"))
    rows = triples(450)
    event = {
        "task_info": [
            dict(zip(("task_id", "source_id", "source_name"), row, strict=True)) for row in rows
        ]
    }
    outcome = index.handler(event, FunctionGraphContext(request_id="req-42"))

    assert outcome["status"] == "succeeded"
    assert outcome["input"] == "inline"
    assert len(outcome["batches"]) >= 3
    files = sorted((tmp_path / "out").rglob("batch-*"))
    assert [f.relative_to(tmp_path / "out").parent.as_posix() for f in files] == [
        "consistency-results/inline/req-42"
    ] * len(outcome["batches"])
    assert sorted(item for f in files for item in parse_export(f.read_bytes())) == rows


def test_the_sample_events_run(emulator: EmulatorServer, aws: Aws) -> None:
    aws.upload(
        "incoming/wave 1/tasks.csv",
        (EVENTS / "tasks.csv").read_text(encoding="utf-8"),
    )
    outcome = index.handler(load_event("s3-upload.json"), LambdaContext())
    assert outcome["status"] == "partial"
    assert outcome["rejected"] == [{"row": 5, "reason": "source_id is empty"}]
    assert outcome["rows"]["exported"] == 3


def test_content_type_and_file_name_are_kept(emulator: EmulatorServer, aws: Aws) -> None:
    event = aws.upload("in/t.csv", csv_text(triples(2)))
    outcome = index.handler(event, LambdaContext())
    (batch,) = outcome["batches"]
    key = batch["export"].removeprefix(f"s3://{INPUT_BUCKET}/")
    head = aws.s3.head_object(Bucket=INPUT_BUCKET, Key=key)
    assert head["ContentType"] == "application/octet-stream"
    assert head["ContentDisposition"] == f'attachment; filename="{batch["filename"]}"'
    etag = event["Records"][0]["s3"]["object"]["eTag"]  # of the input: part of the key
    assert key == f"consistency-results/{INPUT_BUCKET}/in/t.csv/{etag}/{batch_file(triples(2))}"
    assert batch["bytes"] == head["ContentLength"]


def test_exports_can_go_to_another_bucket(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.s3.create_bucket(Bucket="sms-exports-bucket")
    monkeypatch.setenv("EXPORT_BUCKET", "sms-exports-bucket")
    monkeypatch.setenv("EXPORT_PREFIX", "results")
    event = aws.upload("in/t.csv", csv_text(triples(2)))
    etag = event["Records"][0]["s3"]["object"]["eTag"]
    index.handler(event, LambdaContext())
    folder = f"results/{INPUT_BUCKET}/in/t.csv/{etag}"
    assert sorted(aws.stored("results/", bucket="sms-exports-bucket")) == [
        f"{folder}/{batch_file(triples(2))}",
        f"{folder}/outcome.json",
        f"{folder}/report.html",
        f"{folder}/results.csv",
    ]


def test_our_own_exports_never_trigger_an_export(emulator: EmulatorServer, aws: Aws) -> None:
    event = aws.upload("consistency-results/x/batch-0001.csv", csv_text(triples(2)))
    outcome = index.handler(event, LambdaContext())
    assert outcome["status"] == "ignored"
    assert emulator.backend.calls == []
    assert aws.read_notifications() == []


@pytest.mark.parametrize("prefix", ["incoming", "incoming/"])
def test_uploads_outside_input_prefix_are_ignored_and_say_why(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch, prefix: str
) -> None:
    monkeypatch.setenv("INPUT_PREFIX", prefix)
    outside = index.handler(aws.upload("incoming-old/t.csv", csv_text(triples(2))), LambdaContext())
    assert outside["status"] == "ignored"
    assert outside["error"]["message"] == "the object is outside INPUT_PREFIX (incoming/)"
    assert emulator.backend.calls == []
    inside = index.handler(aws.upload("incoming/t.csv", csv_text(triples(2))), LambdaContext())
    assert inside["status"] == "succeeded"


def test_a_file_with_no_rows_is_an_error(emulator: EmulatorServer, aws: Aws) -> None:
    outcome = index.handler(aws.upload("in/empty.csv", csv_text([])), LambdaContext())
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "NoRows"
    assert "no rows" in outcome["error"]["message"]
    assert emulator.backend.calls == []


def test_a_missing_input_object_is_reported(emulator: EmulatorServer, aws: Aws) -> None:
    event = aws.upload("in/t.csv", csv_text(triples(1)))
    aws.s3.delete_object(Bucket=INPUT_BUCKET, Key="in/t.csv")
    outcome = index.handler(event, LambdaContext())
    assert outcome["error"]["code"] == "InputUnreadable"
    assert "NoSuchKey" in outcome["error"]["message"]


def test_an_unknown_event_fails_clearly() -> None:
    outcome = index.handler({"unexpected": True}, LambdaContext())
    assert outcome["status"] == "failed"
    assert outcome["error"]["code"] == "UnknownEvent"


def test_sms_language_is_sent(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path))
    monkeypatch.setenv("SMS_LANGUAGE", "zh-cn")
    index.handler(load_event("direct.json"), LambdaContext())
    assert {call.headers["x-language"] for call in emulator.backend.calls} == {"zh-cn"}


def test_secrets_never_leak(
    emulator: EmulatorServer, aws: Aws, capfd: pytest.CaptureFixture[str]
) -> None:
    """The emulator echoes the access key in its refusal; nothing may carry a credential."""
    emulator.backend.credentials = {}  # every call now fails with "Get secretKey failed"
    emulator.backend.auth_failures.clear()
    outcome: dict[str, Any] = index.handler(
        aws.upload("in/t.csv", csv_text(triples(3))), LambdaContext()
    )
    captured = capfd.readouterr()
    published = json.dumps(aws.read_notifications())
    stored = aws.stored()  # the exports' folder: outcome.json, report.html, rejected.csv…
    files = [content.decode("utf-8", "replace") for content in stored.values()]
    assert any(key.endswith("/report.html") for key in stored)
    for text in (json.dumps(outcome), captured.out, captured.err, published, *files):
        assert SECRET_KEY not in text
        assert ACCESS_KEY not in text
    assert outcome["batches"][0]["error_code"] == "APIGW.0301"
