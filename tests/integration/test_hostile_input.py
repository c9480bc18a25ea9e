"""Hostile and careless input reaches every entry: never a crash, never a lost or invented
row, always a precise reason."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

import index
from emulator import EmulatorServer
from localrun.contexts import LambdaContext
from tests.support import (
    FIXTURES,
    INPUT_BUCKET,
    Aws,
    csv_text,
    http_event,
    load_event,
    sqs_event,
    task_info,
    triples,
    upload_event,
)

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_deep_sqs_message_fails_alone(exports_bucket: Aws) -> None:
    event = sqs_event(("deep", DEEP), ("good", json.dumps(task_info(3))))
    answer = index.handler(event, LambdaContext())
    assert answer == {"batchItemFailures": []}  # the deep one can never work: let go
    assert sorted(exports_bucket.exported_items()) == triples(3)
    (deep,) = [
        json.loads(n["Message"])
        for n in exports_bucket.read_notifications()
        if json.loads(n["Message"])["message_id"] == "deep"
    ]
    assert deep["error"]["code"] == "InvalidMessage"
    assert "nested deeper than 64 levels" in deep["error"]["message"]


def test_a_deep_http_body_gets_a_400(exports_bucket: Aws) -> None:
    answer = index.handler(http_event(DEEP.encode()), LambdaContext())
    assert answer["statusCode"] == 400
    assert "nested deeper than 64 levels" in json.loads(answer["body"])["error"]["message"]


def test_a_deep_eventbridge_detail_is_an_invalid_event(exports_bucket: Aws) -> None:
    event = load_event("eventbridge-custom.json")
    deep: Any = {}
    for _ in range(5_000):
        deep = {"x": deep}
    event["detail"] = {"task_info": [deep]}
    outcome = index.handler(event, LambdaContext())
    assert (outcome["status"], outcome["error"]["code"]) == ("failed", "InvalidEvent")
    assert outcome["error"]["message"] == "The event is nested deeper than 64 levels"


def test_a_deep_json_file_is_unreadable_and_a_deep_json_lines_row_is_rejected(
    emulator: EmulatorServer, aws: Aws
) -> None:
    outcome = index.handler(aws.upload("incoming/deep.json", DEEP), LambdaContext())
    assert outcome["error"] == {
        "code": "UnreadableFile",
        "message": "incoming/deep.json is not valid JSON: nested deeper than 64 levels",
        "retryable": False,
    }
    lines = [
        json.dumps(dict(zip(("task_id", "source_id", "source_name"), row, strict=True)))
        for row in triples(2)
    ]
    outcome = index.handler(
        aws.upload("incoming/rows.jsonl", "\n".join([lines[0], DEEP, lines[1]])), LambdaContext()
    )
    assert outcome["status"] == "partial"
    assert outcome["rejected"] == [{"row": 2, "reason": "not a row: nested deeper than 64 levels"}]
    assert sorted(aws.exported_items()) == triples(2)


def test_a_lone_surrogate_rejects_its_row_and_the_rest_is_exported(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path))
    items = task_info(3)["task_info"]
    items[1]["source_name"] = "web\ud800-02"  # what json.loads gives for "web\\ud800-02"
    outcome = index.handler({"task_info": items}, LambdaContext())
    assert (outcome["status"], outcome["rows"]["exported"]) == ("partial", 2)
    assert outcome["rejected"] == [
        {"row": 2, "reason": "source_name is not valid Unicode: a lone surrogate at position 4"}
    ]
    report = Path(outcome["rejects_report"].removeprefix("file://")).read_text("utf-8-sig")
    assert list(csv.reader(io.StringIO(report)))[1][4] == "web\\ud800-02"
    assert json.loads(Path(outcome["stored_outcome"].removeprefix("file://")).read_text())


def test_an_input_key_that_climbs_out_stays_inside_the_export_folder(
    emulator: EmulatorServer, aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    monkeypatch.setenv("EXPORT_DIR", str(out))
    outcome = index.handler(aws.upload("../../x.csv", csv_text(triples(2))), LambdaContext())
    assert outcome["status"] == "succeeded"
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert written
    assert all(out in path.parents for path in written)
    assert all(".." not in path.relative_to(out).parts for path in written)


def test_a_legal_1024_byte_key_still_gets_exports_under_the_key_limit(
    emulator: EmulatorServer, aws: Aws
) -> None:
    key = "incoming/" + "k" * (1024 - len("incoming/") - 4) + ".csv"
    assert len(key.encode()) == 1024
    outcome = index.handler(aws.upload(key, csv_text(triples(3))), LambdaContext())
    assert (outcome["status"], outcome["rows"]["exported"]) == ("succeeded", 3)
    stored = aws.stored("consistency-results/", bucket=INPUT_BUCKET)
    assert stored
    assert all(len(name.encode()) <= 1024 for name in stored)
    again = index.handler(aws.upload(key, csv_text(triples(3))), LambdaContext())
    assert all(batch["resumed"] for batch in again["batches"])  # the same folder, found again


@pytest.mark.parametrize(
    ("bucket", "code", "message"),
    [
        ("", "InvalidEvent", "The notification names no bucket or no object key"),
        (
            "Not_A_Valid!Bucket",
            "InputUnreadable",
            "Cannot read s3://Not_A_Valid!Bucket/incoming/t.csv: ParamValidationError",
        ),
    ],
)
def test_a_notification_naming_an_impossible_bucket_fails_for_good(
    emulator: EmulatorServer, aws: Aws, bucket: str, code: str, message: str
) -> None:
    """Permanent: no retry could succeed, so the platform is not asked for one."""
    outcome = index.handler(upload_event(bucket, "incoming/t.csv"), LambdaContext())
    assert outcome["status"] == "failed"
    assert outcome["error"] == {"code": code, "message": message, "retryable": False}
    assert emulator.backend.calls == []


HOSTILE = FIXTURES.parent / "hostile"
EXPECTED: dict[str, dict[str, Any]] = json.loads((HOSTILE / "expected.json").read_text("utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_hostile_corpus_uploaded_gives_what_it_should(
    emulator: EmulatorServer, aws: Aws, name: str
) -> None:
    """Each file of tests/fixtures/hostile, uploaded, against its expected outcome: refused
    whole with a precise reason, or its bad rows rejected by number and the rest exported."""
    expected = EXPECTED[name]
    outcome = index.handler(
        aws.upload(f"incoming/{name}", (HOSTILE / name).read_bytes()), LambdaContext()
    )
    assert outcome["status"] == expected["status"]
    if "error" in expected:
        assert outcome["error"]["code"] == expected["error"]
        assert expected["message"] in outcome["error"]["message"]
        assert aws.exported_items() == []
        return
    assert [[r["row"], r["reason"]] for r in outcome["rejected"]] == expected["rejected"]
    assert outcome["rows"]["exported"] == expected["exported"] == len(aws.exported_items())
    assert outcome["rows"]["headers"] == expected.get("headers", 0)
    exported = {item[1] for item in aws.exported_items()}
    assert not any("\u200b" in source or source == "#REF!" for source in exported)
