"""The outcome's rules, its bounded documents, and the answers built from them."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest

from sms_export.core.documents import ANSWER_LIMIT, LOG_LINE_LIMIT, bounded, complete
from sms_export.core.models import BatchResult, Notification, Outcome, Problem, Rejection
from sms_export.core.outcome import (
    Subject,
    exported_count,
    failed,
    ignored,
    status_of,
    summarise,
    worth_notifying,
)
from sms_export.core.redaction import REDACTED, redact, redacted
from sms_export.core.replies import http_status, reply, sqs_failures

SUBJECT = Subject("storage", "s3://bucket/in/t.csv", "request-1", "message-1")


def batch(first: int, last: int, status: str = "exported", **fields: Any) -> BatchResult:
    return BatchResult(
        index=first, size=last - first + 1, first=first, last=last, status=status, **fields
    )


def outcome(
    batches: list[BatchResult], valid: int, rejected: int = 0, duplicates: int = 0
) -> Outcome:
    rejections = [Rejection(row=n + 2, reason="source_id is empty") for n in range(rejected)]
    return summarise(
        SUBJECT, valid=valid, rejected=rejections, duplicates=duplicates, batches=batches
    )


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


def huge(batches: int = 300, rejected: int = 100_000) -> Outcome:
    results = [
        batch(
            n * 200 + 1,
            n * 200 + 200,
            export=f"s3://bucket/consistency-results/bucket/in/t.csv/etag/batch-{n:06d}.csv",
            request_id="0" * 32,
            filename=f"consistency-results-{n:012d}.csv",
        )
        for n in range(batches)
    ]
    results[-7] = batch(results[-7].first, results[-7].last, "failed", error_code="SMS.2252")
    results[-1] = batch(results[-1].first, results[-1].last, "pending", retryable=True)
    result = outcome(results, batches * 200, rejected)
    result.stored_outcome = "s3://bucket/consistency-results/bucket/in/t.csv/etag/outcome.json"
    return result


def test_a_large_outcome_is_bounded_with_failed_and_pending_batches_first() -> None:
    result = huge()
    document = bounded(result, LOG_LINE_LIMIT)
    assert len(json.dumps(document, ensure_ascii=False).encode()) <= LOG_LINE_LIMIT
    assert document["rows"] == complete(result)["rows"]  # every total
    assert [b["status"] for b in document["batches"][:2]] == ["failed", "pending"]
    assert document["rejected"][0] == {"row": 2, "reason": "source_id is empty"}
    left = document["truncated"]
    assert left["batches"] == 300 - len(document["batches"])
    assert left["rejected"] == 100_000 - len(document["rejected"])
    assert left["complete_record"] == result.stored_outcome
    assert len(complete(result)["batches"]) == 300  # outcome.json keeps everything


def test_a_small_outcome_is_left_whole_and_in_order() -> None:
    result = outcome([batch(1, 2), batch(3, 3, "failed"), batch(4, 4)], 4)
    assert bounded(result) == complete(result)
    assert "truncated" not in bounded(result)


def test_even_huge_strings_fit() -> None:
    result = failed(SUBJECT, Problem(code="MissingColumns", message="x" * 200_000))
    document = bounded(result, 16 * 1024)
    assert len(json.dumps(document).encode()) <= 16 * 1024
    assert document["error"]["message"].startswith("xxx")


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


def test_a_document_exactly_at_the_limit_is_not_cut() -> None:
    result = huge(batches=80, rejected=80)
    whole = complete(result)
    exact = len(json.dumps(whole, ensure_ascii=False).encode())
    assert bounded(result, exact) == whole
    listed = bounded(result, exact - 1)
    assert len(listed["batches"]) == 50
    assert bounded(result, len(json.dumps(listed, ensure_ascii=False).encode())) == listed


def test_strings_are_shortened_to_a_fixed_length_only_when_nothing_else_fits() -> None:
    from sms_export.core.documents import SHORTENED

    kept = "k" * SHORTENED
    result = outcome([batch(1, 1, "failed", error_msg="e" * 100_000)], 1, rejected=1)
    result.error = Problem(code=kept, message="m" * 100_000)
    document = bounded(result, 4096)
    assert document["error"]["code"] == kept
    assert document["error"]["message"] == "m" * (SHORTENED - 1) + "…"
    assert (document["batches"], document["rejected"]) == ([], [])
    assert document["truncated"] == {"batches": 1, "rejected": 1, "complete_record": None}


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


def test_a_bounded_document_lists_the_worst_sources_and_counts_the_rest() -> None:
    from sms_export.core.models import SourceVerdict
    from sms_export.core.verdicts import summarise

    verdicts = [
        SourceVerdict(
            task_id=f"t-{n}",
            source_id=f"s-{n}",
            source_name=f"server-{n:04d}-" + "x" * 200,
            verdict="inconsistent" if n % 3 == 0 else "consistent",
            different_files=n,
        )
        for n in range(600)
    ]
    result = outcome([batch(1, 600)], valid=600)
    result.consistency = summarise(verdicts)
    document = bounded(result, LOG_LINE_LIMIT)
    assert len(json.dumps(document).encode()) <= LOG_LINE_LIMIT
    listed = document["consistency"]["sources"]
    assert 0 < len(listed) < 600
    assert listed == complete(result)["consistency"]["sources"][: len(listed)]  # worst first
    assert listed[0]["different_files"] == 597
    assert document["truncated"]["sources"] == 600 - len(listed)
    counts = {k: document["consistency"][k] for k in ("checked", "consistent", "inconsistent")}
    assert counts == {"checked": 600, "consistent": 400, "inconsistent": 200}
    small = outcome([batch(1, 2)], valid=2)
    small.consistency = summarise(verdicts[:2])
    assert "truncated" not in bounded(small)
    assert len(bounded(small)["consistency"]["sources"]) == 2


def test_a_bounded_document_lists_the_most_differing_directories_and_counts_the_rest() -> None:
    from sms_export.core.models import DirectoryCheck, SourceVerdict
    from sms_export.core.verdicts import summarise

    verdicts = [
        SourceVerdict(
            task_id=f"t-{n}",
            source_id=f"s-{n}",
            source_name=f"server-{n}",
            verdict="inconsistent",
            different_files=n + 1,
            directories=[
                DirectoryCheck(path=f"/home/user-{n:04d}/" + "x" * 200, different_files=n + 1)
            ],
        )
        for n in range(300)
    ]
    result = outcome([batch(1, 300)], valid=300)
    result.consistency = summarise(verdicts)
    document = bounded(result, LOG_LINE_LIMIT)
    assert len(json.dumps(document).encode()) <= LOG_LINE_LIMIT
    listed = document["consistency"]["directories"]
    assert 0 < len(listed) < 300
    assert listed == complete(result)["consistency"]["directories"][: len(listed)]
    assert listed[0]["different_files"] == 300
    assert document["truncated"]["directories"] == 300 - len(listed)


def test_a_document_cut_for_its_rejected_rows_leaves_no_source_out() -> None:
    from sms_export.core.models import SourceVerdict
    from sms_export.core.verdicts import summarise

    result = outcome([batch(1, 2)], valid=2, rejected=3000)
    result.consistency = summarise(
        [SourceVerdict(task_id="t", source_id="s", source_name="a", verdict="consistent")]
    )
    document = bounded(result, 16 * 1024)
    assert document["truncated"]["rejected"] > 0
    assert document["truncated"]["sources"] == document["truncated"]["directories"] == 0
    assert len(document["consistency"]["sources"]) == 1
