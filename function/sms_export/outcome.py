"""The one result object of an input, and the rules that give its status (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sms_export.models import (
    BatchResult,
    Outcome,
    OutcomeStatus,
    Problem,
    Rejection,
    RowCounts,
)

REDACTED = "***"


def status_of(rows: RowCounts, error: Problem | None) -> OutcomeStatus:
    if error is not None or rows.exported == 0:
        return "failed"
    if rows.rejected == 0 and rows.exported == rows.valid - rows.duplicates:
        return "succeeded"
    return "partial"


def summarise(
    *,
    trigger: str,
    input_uri: str,
    request_id: str,
    valid: int,
    rejected: list[Rejection],
    duplicates: int,
    batches: list[BatchResult],
    error: Problem | None = None,
    duration_ms: int = 0,
) -> Outcome:
    rows = RowCounts(
        received=valid + len(rejected),
        valid=valid,
        rejected=len(rejected),
        duplicates=duplicates,
        exported=sum(batch.size for batch in batches if batch.status == "exported"),
    )
    if error is None and rows.received == 0:
        error = Problem(code="NoRows", message=f"{input_uri} holds no rows to export.")
    return Outcome(
        status=status_of(rows, error),
        trigger=trigger,
        input=input_uri,
        request_id=request_id,
        rows=rows,
        batches=batches,
        rejected=rejected,
        error=error,
        duration_ms=duration_ms,
    )


def failed(
    *, trigger: str, input_uri: str, request_id: str, code: str, message: str, duration_ms: int = 0
) -> Outcome:
    return summarise(
        trigger=trigger,
        input_uri=input_uri,
        request_id=request_id,
        valid=0,
        rejected=[],
        duplicates=0,
        batches=[],
        duration_ms=duration_ms,
        error=Problem(code=code, message=message),
    )


def ignored(*, trigger: str, input_uri: str, request_id: str, reason: str) -> Outcome:
    outcome = failed(
        trigger=trigger, input_uri=input_uri, request_id=request_id, code="Ignored", message=reason
    )
    outcome.status = "ignored"
    return outcome


def redact(value: Any, secrets: Iterable[str]) -> Any:
    """Replace every secret inside strings of a JSON-like value, however deep."""
    hidden = sorted({secret for secret in secrets if secret}, key=len, reverse=True)
    if not hidden:
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            for secret in hidden:
                item = item.replace(secret, REDACTED)
            return item
        if isinstance(item, dict):
            return {key: walk(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [walk(inner) for inner in item]
        return item

    return walk(value)
