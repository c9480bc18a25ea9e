"""Outcomes the tests of outcome.py, documents.py and replies.py build alike."""

from __future__ import annotations

from typing import Any

from sms_export.core.models import BatchResult, Outcome, Rejection
from sms_export.core.outcome import Subject, summarise

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
