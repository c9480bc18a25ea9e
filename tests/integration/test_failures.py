"""Faults on the wire: what is retried, what is not, and what the outcome says."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import index
from emulator import EmulatorServer, Fault
from localrun.contexts import LambdaContext
from sms_export.core import checkpoint
from sms_export.core.documents import OUTCOME_FILENAME
from sms_export.core.errors import RetryLater
from sms_export.core.page import REPORT_FILENAME
from tests.support import Aws, batch_file, csv_text, parse_export, triples


def direct_event(count: int, start: int = 0) -> dict[str, Any]:
    return {
        "task_info": [
            {"task_id": t, "source_id": s, "source_name": n} for t, s, n in triples(count, start)
        ]
    }


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("MAX_CONCURRENCY", "1")
    return tmp_path / "out"


def stored_items(folder: Path) -> list[tuple[str, str, str]]:
    return [
        item for path in sorted(folder.rglob("batch-*")) for item in parse_export(path.read_bytes())
    ]


@pytest.mark.parametrize(
    ("faults", "attempts"),
    [
        ([Fault.throttle(), Fault.throttle()], 3),
        ([Fault.sms_error(429, "429", "Too Many Requests")], 2),
        ([Fault.server_error(500), Fault.server_error(502)], 3),
        ([Fault.drop_connection()], 2),
        ([Fault.hang(1.5)], 2),
        ([Fault.cut_download()], 2),
    ],
    ids=[
        "throttled-APIGW.0308",
        "plain-429",
        "5xx",
        "dropped-connection",
        "read-timeout",
        "cut-mid-download",
    ],
)
def test_transient_faults_are_retried_until_exported(
    emulator: EmulatorServer,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
    faults: list[Fault],
    attempts: int,
) -> None:
    monkeypatch.setenv("SMS_READ_TIMEOUT", "0.5")
    emulator.backend.inject(*faults)
    outcome = index.handler(direct_event(5), LambdaContext())
    assert outcome["status"] == "succeeded"
    (batch,) = outcome["batches"]
    assert batch["attempts"] == attempts
    assert stored_items(out) == triples(5)  # whole, once, and no partial file left behind
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == [
        batch_file(triples(5)),
        "outcome.json",
        "report.html",
        "results.csv",
    ]


def test_other_client_errors_are_not_retried_and_are_fully_reported(
    emulator: EmulatorServer, out: Path
) -> None:
    emulator.backend.inject(Fault.sms_error(404, "SMS.2252", "No migration task is associated"))
    outcome = index.handler(direct_event(5), LambdaContext())
    assert outcome["status"] == "failed"
    (batch,) = outcome["batches"]
    assert batch["status"] == "failed"
    assert batch["attempts"] == 1
    assert (batch["error_code"], batch["http_status"]) == ("SMS.2252", 404)
    assert batch["error_msg"] == "No migration task is associated"
    assert batch["request_id"] == emulator.backend.calls[0].request_id
    assert len(emulator.backend.calls) == 1


def test_retries_are_bounded(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_ATTEMPTS", "3")
    emulator.backend.inject(*[Fault.server_error(503)] * 5)
    with pytest.raises(RetryLater) as raised:  # so that the platform retries later
        index.handler(direct_event(5), LambdaContext())
    (batch,) = raised.value.answer["batches"]
    assert (batch["status"], batch["attempts"], batch["http_status"]) == ("failed", 3, 503)
    assert len(emulator.backend.calls) == 3


def test_one_failed_batch_among_several_gives_partial(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCH_SIZE", "10")
    emulator.backend.inject(Fault.sms_error(400, "SMS.9999", "Invalid task"))
    outcome = index.handler(direct_event(30), LambdaContext())
    assert outcome["status"] == "partial"
    assert [b["status"] for b in outcome["batches"]] == ["failed", "exported", "exported"]
    assert outcome["rows"]["exported"] == 20


def test_a_request_the_api_finds_too_large_is_halved(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_REQUEST_BYTES", "65536")  # one batch of 100…
    emulator.backend.max_request_bytes = 4000  # …which the API finds too large
    outcome = index.handler(direct_event(100), LambdaContext())
    assert outcome["status"] == "succeeded"
    parts = [b["part"] for b in outcome["batches"]]
    assert len(parts) > 1
    assert all(part and part[0] in "12" for part in parts)
    assert Counter(stored_items(out)) == Counter(triples(100))


def test_refused_credentials_stop_the_run_before_the_access_key_is_locked(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUD_SDK_SK", "wrong-secret")
    monkeypatch.setenv("BATCH_SIZE", "10")
    outcome = index.handler(direct_event(80), LambdaContext())
    assert outcome["status"] == "failed"
    statuses = [b["status"] for b in outcome["batches"]]
    assert statuses == ["failed"] + ["pending"] * 7
    assert outcome["batches"][0]["error_code"] == "APIGW.0301"
    assert "APIGW.0301" in outcome["batches"][1]["error_msg"]
    assert len(emulator.backend.auth_failures) == 1


def test_concurrency_is_bounded(
    emulator: EmulatorServer, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_CONCURRENCY", "3")
    monkeypatch.setenv("BATCH_SIZE", "10")
    emulator.backend.latency = 0.2
    outcome = index.handler(direct_event(80), LambdaContext())
    assert outcome["status"] == "succeeded"
    assert emulator.backend.max_in_flight == 3


def test_a_failed_write_is_never_reported_exported(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the export folder should be")
    monkeypatch.setenv("EXPORT_DIR", str(blocker))
    outcome = index.handler(direct_event(3), LambdaContext())
    (batch,) = outcome["batches"]
    assert batch["status"] == "failed"
    assert batch["error_code"] == "StorageWriteFailed"
    assert "Not a directory" in batch["error_msg"]
    assert (batch["attempts"], batch["retryable"]) == (1, False)  # a retry cannot fix a path
    assert outcome["rows"]["exported"] == 0


def test_a_download_cut_while_streaming_to_s3_stores_nothing_partial(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_ATTEMPTS", "1")
    emulator.backend.inject(Fault.cut_download())
    with pytest.raises(RetryLater) as raised:
        index.handler(aws.upload("in/t.csv", csv_text(triples(5))), LambdaContext())
    (batch,) = raised.value.answer["batches"]
    assert batch["status"] == "failed"
    assert batch["error_code"] == "ChunkedEncodingError"
    assert batch["request_id"] == emulator.backend.calls[0].request_id
    assert [key for key in aws.stored("consistency-results/") if "/batch-" in key] == []


def test_a_report_does_not_link_an_outcome_json_the_store_refused(
    emulator: EmulatorServer, out: Path
) -> None:
    """Issue #20: report.html linked outcome.json, which could not be stored. The folder
    refuses outcome.json alone: a directory of that name stands where the file would go."""
    folder = out / checkpoint.folder("consistency-results/", "inline", "request-1")
    (folder / OUTCOME_FILENAME).mkdir(parents=True)
    outcome = index.handler(direct_event(5), LambdaContext(aws_request_id="request-1"))
    assert outcome["status"] == "succeeded"
    assert outcome["stored_outcome"] is None
    page = (folder / REPORT_FILENAME).read_text(encoding="utf-8")
    assert outcome["report"] == (folder / REPORT_FILENAME).resolve().as_uri()
    assert 'href="results.csv"' in page
    assert OUTCOME_FILENAME not in page


def test_the_stored_outcome_names_the_report_that_links_it(
    emulator: EmulatorServer, out: Path
) -> None:
    outcome = index.handler(direct_event(5), LambdaContext(aws_request_id="request-1"))
    folder = out / checkpoint.folder("consistency-results/", "inline", "request-1")
    stored = json.loads((folder / OUTCOME_FILENAME).read_text(encoding="utf-8"))
    assert stored["report"] == outcome["report"] == (folder / REPORT_FILENAME).resolve().as_uri()
    assert stored["stored_outcome"] == outcome["stored_outcome"]
    assert f'href="{OUTCOME_FILENAME}"' in (folder / REPORT_FILENAME).read_text(encoding="utf-8")
