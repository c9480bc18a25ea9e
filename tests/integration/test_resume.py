"""Never lose work, never do it twice: resume, deadlines, retry signals, chaos."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from typing import Any

import pytest

import index
from emulator import EmulatorServer, Fault
from localrun.contexts import LambdaContext
from sms_export.errors import RetryLater
from tests.support import Aws, csv_text, triples


def invoke(event: dict[str, Any], context: Any = None) -> tuple[dict[str, Any], bool]:
    """The handler's answer, and whether it asked the platform to retry."""
    try:
        return index.handler(event, context or LambdaContext()), False
    except RetryLater as retry:
        return retry.answer, True


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_SIZE", "100")
    monkeypatch.setenv("MAX_ATTEMPTS", "2")


def test_a_retry_resumes_where_the_first_run_stopped(emulator: EmulatorServer, aws: Aws) -> None:
    rows = triples(500)
    event = aws.upload("incoming/t.csv", csv_text(rows))
    emulator.backend.inject_for("task-00200", Fault.throttle(), Fault.throttle())  # batch 3

    outcome, retry = invoke(event)
    assert retry  # throttling: a retry can finish it
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
