"""The answer to the platform, by trigger: the outcome, an HTTP response, SQS batch item
failures."""

from __future__ import annotations

import json

import pytest

from sms_export.core.documents import ANSWER_LIMIT, complete
from sms_export.core.models import Outcome, Problem
from sms_export.core.outcome import Subject, failed, ignored
from sms_export.core.replies import http_status, reply, sqs_failures
from tests.unit.outcomes import SUBJECT, batch, huge, outcome


def test_an_http_answer_to_100000_invalid_rows_stays_deliverable() -> None:
    result = outcome([], 0, rejected=100_000)
    result.rejects_report = "s3://bucket/consistency-results/inline/r/rejected.csv"
    answer = reply("http", "http", [result])
    assert answer["statusCode"] == 400
    assert len(answer["body"].encode()) <= ANSWER_LIMIT
    body = json.loads(answer["body"])
    assert body["rows"]["rejected"] == 100_000
    assert body["rejects_report"] == result.rejects_report
    assert body["rejected"][0]["row"] == 2
    assert body["truncated"]["batches"] == 0  # none to leave out


def test_several_outcomes_share_the_answers_budget() -> None:
    answer = reply("outcome", "kafka", [huge(batches=100, rejected=500) for _ in range(100)])
    assert len(json.dumps(answer).encode()) <= ANSWER_LIMIT
    assert answer["status"] == "partial"
    assert len(answer["outcomes"]) == 100
    assert all("truncated" in item for item in answer["outcomes"])  # 65 KB each, cut to 60


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ([outcome([batch(1, 3)], 3)], 200),
        ([outcome([batch(1, 2), batch(3, 3, "failed")], 3)], 200),
        ([outcome([batch(1, 3, "failed", retryable=True)], 3)], 503),
        ([outcome([batch(1, 3, "failed")], 3)], 502),
        ([outcome([], 0, rejected=3)], 400),
        ([failed(SUBJECT, Problem(code="ConfigurationError", message="m", retryable=True))], 500),
        ([failed(SUBJECT, Problem(code="InternalError", message="m"))], 500),
        ([failed(SUBJECT, Problem(code="UnreadableFile", message="m"))], 400),
    ],
)
def test_http_status_codes(outcomes: list[Outcome], status: int) -> None:
    assert http_status(outcomes) == status


def test_sqs_names_each_retryable_message_once() -> None:
    def message(message_id: str | None, retryable: bool) -> Outcome:
        subject = Subject("sqs", "inline", "r", message_id)
        return failed(subject, Problem(code="C", message="m", retryable=retryable))

    outcomes = [message("a", True), message("b", False), message("a", True), message(None, True)]
    assert sqs_failures(outcomes) == [{"itemIdentifier": "a"}]
    assert reply("sqs", "sqs", outcomes) == {"batchItemFailures": [{"itemIdentifier": "a"}]}


def test_an_http_answer_is_json_text_with_its_headers() -> None:
    result = outcome([batch(1, 1)], 1)
    result.input = "s3://bucket/迁移/t.csv"
    answer = reply("http", "http", [result])
    assert answer["headers"] == {"Content-Type": "application/json"}
    assert answer["isBase64Encoded"] is False
    assert "迁移" in answer["body"]  # UTF-8, not escapes: a third of the size for Chinese
    assert json.loads(answer["body"]) == complete(result)


def test_several_outcomes_are_combined_under_the_worst_status() -> None:
    succeeded = outcome([batch(1, 1)], 1)
    partial = outcome([batch(1, 1), batch(2, 2, "failed", retryable=True)], 2)
    skipped = ignored(SUBJECT, "nothing")
    answer = reply("outcome", "smn", [succeeded, skipped, partial])
    assert answer == {
        "status": "partial",
        "trigger": "smn",
        "retryable": True,
        "outcomes": [complete(succeeded), complete(skipped), complete(partial)],
    }
    assert reply("outcome", "smn", [skipped, succeeded])["status"] == "succeeded"
    assert reply("outcome", "smn", [skipped, succeeded])["retryable"] is False


def test_many_large_outcomes_are_each_cut_to_their_share_of_the_answer() -> None:
    def wordy() -> Outcome:
        results = [
            batch(n, n, "failed", error_code="SMS.2252", error_msg="x" * 1000) for n in range(1, 61)
        ]
        return outcome(results, 60)

    many = [wordy() for _ in range(120)]
    answer = reply("outcome", "kafka", many)
    assert len(json.dumps(answer, ensure_ascii=False).encode()) <= ANSWER_LIMIT
    assert all(len(item["batches"]) == 20 for item in answer["outcomes"])  # 50 would not fit
    assert all(item["truncated"]["rejected"] == 0 for item in answer["outcomes"])
