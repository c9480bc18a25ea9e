"""Never lose work, never do it twice: resume, deadlines, retry signals, chaos."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import index
from emulator import EmulatorServer, Fault
from emulator.sms.models import export_file_for
from localrun.contexts import LambdaContext
from sms_export.core import checkpoint
from sms_export.core.errors import RetryLater
from sms_export.core.models import Triple
from tests.support import (
    INPUT_BUCKET,
    Aws,
    csv_text,
    parse_export,
    source_id,
    task_id,
    triples,
)


def invoke(event: dict[str, Any], context: Any = None) -> tuple[dict[str, Any], bool]:
    """The handler's answer, and whether it asked the platform to retry."""
    try:
        return index.handler(event, context or LambdaContext()), False
    except RetryLater as retry:
        return retry.answer, True


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorServer) -> None:
    # Batches of BATCH_SIZE rows, however long the ids: byte limits are tested elsewhere.
    emulator.backend.max_request_bytes = 65536
    monkeypatch.setenv("MAX_REQUEST_BYTES", "65536")
    monkeypatch.setenv("BATCH_SIZE", "100")
    monkeypatch.setenv("MAX_ATTEMPTS", "2")


def test_a_retry_resumes_where_the_first_run_stopped(emulator: EmulatorServer, aws: Aws) -> None:
    rows = triples(500)
    event = aws.upload("incoming/t.csv", csv_text(rows))
    emulator.backend.inject_for(
        task_id(200), Fault.server_error(503), Fault.server_error(503)
    )  # batch 3

    outcome, retry = invoke(event)
    assert retry  # a server error: a retry can finish it
    assert outcome["status"] == "partial"
    assert [b["status"] for b in outcome["batches"]] == [
        "exported",
        "exported",
        "failed",
        "exported",
        "exported",
    ]

    calls = len(emulator.backend.calls)
    outcome, retry = invoke(event)
    assert not retry
    assert outcome["status"] == "succeeded"
    assert [b["resumed"] for b in outcome["batches"]] == [True, True, False, True, True]
    assert len(emulator.backend.calls) == calls + 1  # only batch 3 went to the API again
    assert Counter(aws.exported_items()) == Counter(rows)  # every row, exactly once


def test_a_duplicate_delivery_exports_nothing_and_notifies_nothing(
    emulator: EmulatorServer, aws: Aws
) -> None:
    event = aws.upload("incoming/t.csv", csv_text(triples(250)))
    invoke(event)
    calls = len(emulator.backend.calls)
    assert len(aws.read_notifications()) == 1

    outcome, _ = invoke(event)
    assert outcome["status"] == "succeeded"
    assert all(batch["resumed"] and batch["attempts"] == 0 for batch in outcome["batches"])
    assert len(emulator.backend.calls) == calls
    assert aws.read_notifications() == []  # the log line says it, a second e-mail would not
    assert "notification" not in outcome or outcome["notification"] is None


def test_a_reupload_with_new_content_is_exported_anew(emulator: EmulatorServer, aws: Aws) -> None:
    invoke(aws.upload("incoming/t.csv", csv_text(triples(3))))
    outcome, _ = invoke(aws.upload("incoming/t.csv", csv_text(triples(4))))
    assert not any(batch["resumed"] for batch in outcome["batches"])
    assert outcome["rows"]["exported"] == 4
    folders = {key.rsplit("/", 2)[1] for key in aws.stored("consistency-results/")}
    assert len(folders) == 2  # one per ETag


def test_time_running_out_leaves_pending_batches_that_a_retry_finishes(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_CONCURRENCY", "1")
    monkeypatch.setenv("DEADLINE_MARGIN_SECONDS", "1")
    rows = triples(800)
    event = aws.upload("incoming/t.csv", csv_text(rows))
    import huaweicloudsdksms.v3  # noqa: F401 - imported before the clock runs: a slow CI import

    emulator.backend.latency = 0.4  # 8 batches take 3.2 s; the context gives 1.9 s of work

    outcome, retry = invoke(event, LambdaContext(timeout_seconds=2.9))
    statuses = [batch["status"] for batch in outcome["batches"]]
    assert retry
    assert outcome["status"] == "partial"
    assert "exported" in statuses
    assert "pending" in statuses
    pending = [b for b in outcome["batches"] if b["status"] == "pending"]
    assert all(b["error_code"] == "DeadlineReached" and b["retryable"] for b in pending)
    stored = aws.stored("consistency-results/")
    assert any(key.endswith("/outcome.json") for key in stored)  # recorded before the end

    emulator.backend.latency = 0
    outcome, retry = invoke(event, LambdaContext(timeout_seconds=300))
    assert (outcome["status"], retry) == ("succeeded", False)
    assert Counter(aws.exported_items()) == Counter(rows)


def test_permanent_failures_do_not_ask_for_a_retry(emulator: EmulatorServer, aws: Aws) -> None:
    emulator.backend.inject(Fault.sms_error(400, "SMS.9999", "Invalid task"))
    rows = [list(row) for row in triples(3)]
    rows[0][0] = ""
    outcome, retry = invoke(aws.upload("incoming/t.csv", csv_text(rows)))
    assert not retry
    assert outcome["status"] == "failed"
    assert outcome["retryable"] is False


def test_a_failed_notification_is_shown_and_does_not_fail_the_export(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_TOPIC", "arn:aws:sns:us-east-1:123456789012:no-such-topic")
    outcome, retry = invoke(aws.upload("incoming/t.csv", csv_text(triples(3))))
    assert (outcome["status"], retry) == ("succeeded", False)
    assert outcome["notification"]["status"] == "failed"
    assert "NotFound" in outcome["notification"]["error"]
    stored = json.loads(
        aws.s3.get_object(
            Bucket=outcome["stored_outcome"].split("/")[2],
            Key=outcome["stored_outcome"].split("/", 3)[3],
        )["Body"].read()
    )
    assert stored["rows"]["exported"] == 3  # the record survives the lost notification


def test_an_export_that_cannot_be_stored_is_retried_later(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPORT_BUCKET", "exports-not-created-yet")
    event = aws.upload("incoming/t.csv", csv_text(triples(150)))
    outcome, retry = invoke(event)
    assert retry
    assert outcome["rows"]["exported"] == 0
    assert {b["error_code"] for b in outcome["batches"]} == {"StorageWriteFailed"}
    assert "NoSuchBucket" in outcome["batches"][0]["error_msg"]

    aws.s3.create_bucket(Bucket="exports-not-created-yet")
    outcome, retry = invoke(event)
    assert (outcome["status"], retry) == ("succeeded", False)
    assert len(aws.exported_items()) == 0  # they went to the other bucket…
    exported = [key for key in aws.stored(bucket="exports-not-created-yet") if "/batch-" in key]
    assert len(exported) == 2  # …once each


CHAOS_SEED = 20261127


def test_chaos_every_row_exactly_once(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed = int(os.environ.get("CHAOS_SEED", CHAOS_SEED))
    print(f"chaos seed: {seed} (replay with CHAOS_SEED={seed})")
    monkeypatch.setenv("SMS_READ_TIMEOUT", "0.3")
    monkeypatch.setenv("MAX_CONCURRENCY", "4")
    emulator.backend.fail_rate = 0.2
    emulator.backend.hang_seconds = 0.6
    emulator.backend.rng = random.Random(seed)
    rows = triples(1000)
    event = aws.upload("incoming/chaos.csv", csv_text(rows))

    for invocation in range(1, 21):
        outcome, retry = invoke(event)
        if outcome["status"] == "succeeded":
            break
        assert retry, f"invocation {invocation} gave up on work a retry could finish"
    assert outcome["status"] == "succeeded", f"not done after 20 invocations (seed {seed})"
    faults = sum(call.answered != 200 for call in emulator.backend.calls)
    print(
        f"chaos: done in {invocation} invocations, {len(emulator.backend.calls)} calls, "
        f"{faults} answered with an error (drops and hangs come on top)"
    )
    assert Counter(aws.exported_items()) == Counter(rows), f"seed {seed}"


def exported_by_call(emulator: EmulatorServer, since: int = 0) -> list[tuple[str, str, str]]:
    """The triples of every export the API answered, from call `since` on."""
    return [
        item
        for call in emulator.backend.calls[since:]
        if call.answered == 200
        for item in call.items
    ]


def test_a_resume_under_another_batch_size_exports_exactly_what_is_missing(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The review's scenario: 400 rows in batches of 50; the API refuses all but the first
    batch for good; the cause is fixed, BATCH_SIZE raised to 200, the event delivered again."""
    rows = triples(400)
    monkeypatch.setenv("BATCH_SIZE", "50")
    for start in range(50, 400, 50):
        emulator.backend.inject_for(
            task_id(start), Fault.sms_error(404, "SMS.2252", "no task for this source")
        )
    event = aws.upload("incoming/t.csv", csv_text(rows))
    outcome, retry = invoke(event)
    assert (outcome["status"], outcome["rows"]["exported"], retry) == ("partial", 50, False)

    monkeypatch.setenv("BATCH_SIZE", "200")
    calls = len(emulator.backend.calls)
    outcome, retry = invoke(event)
    assert (outcome["status"], retry) == ("succeeded", False)
    assert Counter(exported_by_call(emulator, calls)) == Counter(rows[50:])  # only the missing
    assert Counter(aws.exported_items()) == Counter(rows)  # stored: every row, once
    assert outcome["rows"]["exported"] == 400
    first, *rest = outcome["batches"]
    assert (first["first"], first["last"], first["resumed"]) == (1, 50, True)
    assert [b["first"] for b in rest] == [51] + [b["last"] + 1 for b in rest[:-1]]
    assert rest[-1]["last"] == 400
    assert not any(b["resumed"] for b in rest)


def test_a_resume_after_a_halved_batch_partly_failed_exports_only_the_failed_part(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCH_SIZE", "100")
    rows = triples(100)
    too_large = Fault.sms_error(400, "SMS.2004", "Request content exceeds 10240 bytes")
    # The whole batch is too large; of its halves, the second fails twice (MAX_ATTEMPTS).
    emulator.backend.inject_for(task_id(70), too_large, *[Fault.server_error(503)] * 2)
    event = aws.upload("incoming/t.csv", csv_text(rows))
    outcome, retry = invoke(event)
    assert retry
    assert [(b["part"], b["status"]) for b in outcome["batches"]] == [
        ("1", "exported"),
        ("2", "failed"),
    ]

    calls = len(emulator.backend.calls)
    outcome, retry = invoke(event)
    assert (outcome["status"], retry) == ("succeeded", False)
    assert Counter(exported_by_call(emulator, calls)) == Counter(rows[50:])
    assert Counter(aws.exported_items()) == Counter(rows)


def test_a_single_row_the_api_finds_too_large_fails_alone(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCH_SIZE", "10")
    rows = triples(30)
    rows[14] = (task_id(999), source_id(999), "名" * 255)  # 1,530 bytes as the SDK encodes it
    emulator.backend.max_request_bytes = 1200
    outcome, retry = invoke(aws.upload("incoming/t.csv", csv_text(rows)))
    assert (outcome["status"], retry) == ("partial", False)
    failed = [b for b in outcome["batches"] if b["status"] != "exported"]
    assert [(b["first"], b["last"], b["error_code"]) for b in failed] == [(15, 15, "SMS.2004")]
    assert outcome["rows"]["exported"] == 29
    assert sorted(aws.exported_items()) == sorted(rows[:14] + rows[15:])


def test_the_retry_that_finishes_an_input_publishes_its_notification(
    emulator: EmulatorServer, aws: Aws
) -> None:
    event = aws.upload("incoming/t.csv", csv_text(triples(200)))
    emulator.backend.inject_for(task_id(150), Fault.server_error(503), Fault.server_error(503))
    outcome, retry = invoke(event)
    assert retry
    (first,) = aws.read_notifications()
    assert json.loads(first["Message"])["status"] == "partial"

    outcome, retry = invoke(event)
    assert (outcome["status"], retry) == ("succeeded", False)
    (second,) = aws.read_notifications()
    assert json.loads(second["Message"])["status"] == "succeeded"
    assert outcome["notification"]["status"] == "published"


@pytest.mark.parametrize(("seconds_left", "exported"), [(29.5, False), (31.0, True)])
def test_by_default_no_batch_starts_with_less_than_30_seconds_left(
    emulator: EmulatorServer, aws: Aws, seconds_left: float, exported: bool
) -> None:
    event = aws.upload("incoming/t.csv", csv_text(triples(3)))
    outcome, retry = invoke(event, LambdaContext(timeout_seconds=seconds_left))
    assert (outcome["rows"]["exported"] == 3) is exported
    assert retry is not exported
    if not exported:
        assert outcome["batches"][0]["error_code"] == "DeadlineReached"


def test_a_60000_row_input_logs_a_bounded_line_and_stores_every_batch(
    emulator: EmulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BATCH_SIZE", "200")
    monkeypatch.setenv("MAX_CONCURRENCY", "8")
    monkeypatch.setenv("EXPORT_DIR", str(tmp_path / "out"))
    items = [
        dict(zip(("task_id", "source_id", "source_name"), row, strict=True))
        for row in triples(60_000)
    ]
    outcome, _ = invoke({"task_info": items})
    lines = capsys.readouterr().out.splitlines()
    (line,) = [line for line in lines if '"message": "sms-consistency-export outcome"' in line]
    assert len(line.encode()) <= 64 * 1024
    logged = json.loads(line)
    assert logged["rows"]["exported"] == 60_000
    stored = json.loads(Path(outcome["stored_outcome"].removeprefix("file://")).read_text())
    assert len(stored["batches"]) == 300  # of BATCH_SIZE: the byte limit is raised here
    assert sum(batch["size"] for batch in stored["batches"]) == 60_000
    assert logged["truncated"]["batches"] == len(stored["batches"]) - len(logged["batches"])


def test_stored_files_that_partly_overlap_give_each_row_once_in_results_and_batches(
    emulator: EmulatorServer, aws: Aws
) -> None:
    """Issue #20: two deliveries at once, one halving a batch the API found too large,
    stored positions 13-25 and 25-37 of 100; the retry merged both into results.csv (103
    rows) and listed overlapping batches."""
    rows = triples(100)
    key = "incoming/t.csv"
    event = aws.upload(key, csv_text(rows))
    etag = event["Records"][0]["s3"]["object"]["eTag"]
    folder = checkpoint.folder("consistency-results/", INPUT_BUCKET, key, etag)
    valid = [Triple(*row) for row in rows]
    for start, end in ((12, 25), (24, 37)):
        aws.s3.put_object(
            Bucket=INPUT_BUCKET,
            Key=checkpoint.batch_key(folder, valid[start:end], start, ".csv"),
            Body=export_file_for(rows[start:end]).content,
        )

    outcome, retry = invoke(event)
    assert (outcome["status"], retry) == ("succeeded", False)
    spans = [(b["first"], b["last"]) for b in outcome["batches"]]
    assert spans == [(1, 12), (13, 25), (26, 100)]  # in order, none overlapping
    assert [b["resumed"] for b in outcome["batches"]] == [False, True, False]
    stored = aws.stored(folder + "/")
    assert parse_export(stored[f"{folder}/results.csv"]) == rows  # each row once, in order


def test_a_retry_after_a_kill_that_followed_every_export_notifies_and_a_duplicate_does_not(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #20: the process is killed after its last batch is stored (during the verdict
    lookups, say): no outcome.json, no notification. Its retry resumes every batch; that
    alone is no sign that the subscribers were told."""
    event = aws.upload("incoming/t.csv", csv_text(triples(250)))
    with monkeypatch.context() as unannounced:
        unannounced.delenv("NOTIFY_TOPIC")  # the killed run told no one…
        invoke(event)
    for key in aws.stored("consistency-results/"):
        if "/batch-" not in key:  # …and stored nothing after its exports
            aws.s3.delete_object(Bucket=INPUT_BUCKET, Key=key)

    outcome, retry = invoke(event)
    assert (outcome["status"], retry) == ("succeeded", False)
    assert all(batch["resumed"] for batch in outcome["batches"])
    (notice,) = aws.read_notifications()
    assert json.loads(notice["Message"])["status"] == "succeeded"
    record = aws.stored(outcome["stored_outcome"].split("/", 3)[3])
    (stored,) = [json.loads(content) for content in record.values()]
    assert stored["notification"]["status"] == "published"  # the record says who was told

    outcome, _ = invoke(event)  # a true duplicate delivery: told already
    assert aws.read_notifications() == []
    assert outcome["notification"] is None


def test_a_duplicate_delivery_publishes_what_the_first_run_failed_to_publish(
    emulator: EmulatorServer, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = aws.upload("incoming/t.csv", csv_text(triples(3)))
    with monkeypatch.context() as missing:
        missing.setenv("NOTIFY_TOPIC", "arn:aws:sns:us-east-1:123456789012:not-yet-created")
        outcome, _ = invoke(event)
    assert outcome["notification"]["status"] == "failed"

    outcome, _ = invoke(event)
    assert all(batch["resumed"] for batch in outcome["batches"])
    assert outcome["notification"]["status"] == "published"
    assert len(aws.read_notifications()) == 1
