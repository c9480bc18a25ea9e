"""The outcome's rules: its status, its counts, and when it is news."""

from __future__ import annotations

from typing import Literal

import pytest

from sms_export.core.models import BatchResult, Notification, Outcome, Problem
from sms_export.core.outcome import (
    exported_count,
    failed,
    ignored,
    status_of,
    summarise,
    worth_notifying,
)
from sms_export.core.redaction import REDACTED, redact, redacted
from tests.unit.outcomes import SUBJECT, batch, outcome


@pytest.mark.parametrize(
    ("batches", "valid", "rejected", "duplicates", "status"),
    [
        ([batch(1, 3)], 3, 0, 0, "succeeded"),
        ([batch(1, 3)], 4, 0, 1, "succeeded"),  # one duplicate: every distinct row exported
        ([batch(1, 3)], 3, 1, 0, "partial"),  # a rejected row
        ([batch(1, 2), batch(3, 3, "failed")], 3, 0, 0, "partial"),
        ([batch(1, 3, "pending")], 3, 0, 0, "failed"),  # nothing exported
        ([], 0, 2, 0, "failed"),
    ],
)
def test_the_status_follows_what_was_exported(
    batches: list[BatchResult], valid: int, rejected: int, duplicates: int, status: str
) -> None:
    assert outcome(batches, valid, rejected, duplicates).status == status


def test_an_error_fails_the_input_whatever_was_exported() -> None:
    result = outcome([batch(1, 3)], 3)
    assert status_of(result.rows, Problem(code="X", message="y")) == "failed"


def test_no_rows_at_all_is_an_error_of_its_own() -> None:
    result = outcome([], 0)
    assert result.error is not None
    assert (result.error.code, result.status) == ("NoRows", "failed")


def test_exported_rows_are_the_union_of_stored_spans() -> None:
    assert exported_count([batch(1, 50), batch(51, 100)]) == 100
    assert exported_count([batch(1, 50), batch(1, 50)]) == 50  # two copies: counted once
    assert exported_count([batch(1, 50), batch(40, 60), batch(70, 70)]) == 61
    assert exported_count([batch(1, 50), batch(51, 60, "failed"), batch(61, 61, "pending")]) == 50


def test_retryable_comes_from_the_batches() -> None:
    assert outcome([batch(1, 2), batch(3, 3, "failed", retryable=True)], 3).retryable
    assert not outcome([batch(1, 2), batch(3, 3, "failed")], 3).retryable
    assert failed(SUBJECT, Problem(code="C", message="m", retryable=True)).retryable


TOPIC = "arn:aws:sns:us-east-1:123456789012:outcomes"


def told(
    result: Outcome, status: Literal["published", "failed"] = "published", topic: str = TOPIC
) -> Outcome:
    """`result` as a run that notified it stored it (its outcome.json)."""
    notice = Notification(topic=topic, status=status)
    return result.model_copy(update={"notification": notice})


def test_only_news_is_notified() -> None:
    assert worth_notifying(outcome([batch(1, 2), batch(3, 3, resumed=True)], 3), None, TOPIC)
    assert worth_notifying(failed(SUBJECT, Problem(code="C", message="m")), None, TOPIC)
    assert not worth_notifying(ignored(SUBJECT, "our own export"), None, TOPIC)


def test_a_duplicate_is_known_by_the_earlier_record_not_by_every_batch_resumed() -> None:
    """Issue #20: a run killed after its last export stored no record and told no one;
    its retry resumes every batch and must still notify."""
    again = outcome([batch(1, 2, resumed=True)], 2)
    assert worth_notifying(again, None, TOPIC)  # no record: killed before it
    assert not worth_notifying(again, told(outcome([batch(1, 2)], 2)), TOPIC)
    assert worth_notifying(again, told(outcome([batch(1, 2)], 2), "failed"), TOPIC)
    assert worth_notifying(again, told(outcome([batch(1, 2)], 2), topic="other"), TOPIC)
    assert worth_notifying(again, outcome([batch(1, 2)], 2), TOPIC)  # no topic then
    # Told of less than this run found (another instance exported the rest meanwhile).
    partial = outcome([batch(1, 1), batch(2, 2, "failed", retryable=True)], 2)
    assert worth_notifying(again, told(partial), TOPIC)
    # Something done anew is news, whatever the record says.
    fresh = outcome([batch(1, 1, resumed=True), batch(2, 2)], 2)
    assert worth_notifying(fresh, told(outcome([batch(1, 2)], 2)), TOPIC)


def test_secrets_are_replaced_everywhere_longest_first() -> None:
    value = {"a": ["key-AK-and-AKSK"], "b": {"c": "AK"}, "d": 3}
    assert redact(value, ["AK", "AKSK", ""]) == {
        "a": [f"key-{REDACTED}-and-{REDACTED}"],
        "b": {"c": REDACTED},
        "d": 3,
    }
    result = failed(SUBJECT, Problem(code="APIGW.0301", message="bad key SECRET-1"))
    assert redacted(result, ["SECRET-1"]).error == Problem(
        code="APIGW.0301", message=f"bad key {REDACTED}"
    )
    assert redacted(result, []) is result


def test_the_counts_add_up() -> None:
    result = outcome([batch(1, 3)], 4, rejected=2, duplicates=1)
    assert result.rows.model_dump() == {
        "received": 6,
        "valid": 4,
        "rejected": 2,
        "duplicates": 1,
        "exported": 3,
        "blank": 0,
        "comments": 0,
        "headers": 0,
    }


def test_an_error_fails_a_summary_even_with_exported_batches() -> None:
    refusal = Problem(code="StrictValidation", message="rows were rejected")
    result = summarise(
        SUBJECT, valid=3, rejected=[], duplicates=0, batches=[batch(1, 3)], error=refusal
    )
    assert (result.status, result.error) == ("failed", refusal)


def test_an_ignored_input_says_why() -> None:
    result = ignored(SUBJECT, "the object is under EXPORT_PREFIX")
    assert result.status == "ignored"
    assert result.error == Problem(code="Ignored", message="the object is under EXPORT_PREFIX")
    assert (result.input, result.request_id, result.message_id) == (
        "s3://bucket/in/t.csv",
        "request-1",
        "message-1",
    )
