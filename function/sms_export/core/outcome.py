"""The one result object of an input, and the rules that give its status (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sms_export.core.errors import SmsExportError
from sms_export.core.models import (
    BatchResult,
    ConsistencySummary,
    Outcome,
    OutcomeStatus,
    Problem,
    Rejection,
    RowCounts,
)
from sms_export.core.rows import Tally


@dataclass(frozen=True)
class Subject:
    """What an outcome is about: which input, from which trigger and invocation."""

    trigger: str
    input_uri: str
    request_id: str
    message_id: str | None = None

    def outcome(self, status: OutcomeStatus, **fields: Any) -> Outcome:
        return Outcome(
            status=status,
            trigger=self.trigger,
            input=self.input_uri,
            request_id=self.request_id,
            message_id=self.message_id,
            **fields,
        )


def status_of(rows: RowCounts, error: Problem | None) -> OutcomeStatus:
    if error is not None or rows.exported == 0:
        return "failed"
    if rows.rejected == 0 and rows.exported == rows.valid - rows.duplicates:
        return "succeeded"
    return "partial"


def summarise(
    subject: Subject,
    *,
    valid: int,
    rejected: list[Rejection],
    duplicates: int,
    batches: list[BatchResult],
    skipped: Tally | None = None,
    error: Problem | None = None,
    consistency: ConsistencySummary | None = None,
    **fields: Any,
) -> Outcome:
    """The outcome of an input that was read, built once: its counts, its status, and
    `fields` (its verdicts, the files kept beside its exports)."""
    skipped = skipped or Tally()
    rows = RowCounts(
        received=valid + len(rejected),
        valid=valid,
        rejected=len(rejected),
        duplicates=duplicates,
        exported=exported_count(batches),
        blank=skipped.blank,
        comments=skipped.comments,
        headers=skipped.headers,
    )
    if error is None and rows.received == 0:
        error = no_rows(subject.input_uri)
    return subject.outcome(
        status_of(rows, error),
        rows=rows,
        batches=batches,
        rejected=rejected,
        error=error,
        consistency=consistency,
        # Unfinished lookups are unfinished work too: the retry exports nothing again.
        retryable=any(batch.retryable for batch in batches)
        or bool(consistency and consistency.to_look_up),
        **fields,
    )


def no_rows(input_uri: str) -> Problem:
    """Why an input whose file has a header (or only skipped rows) and no row fails."""
    return Problem(code="NoRows", message=f"{input_uri} holds no rows to export.")


def exported_count(batches: Iterable[BatchResult]) -> int:
    """Distinct triples held by stored exports: the union of their spans, so that two files
    holding the same triples (two runs at once) never count them twice."""
    count = reach = 0
    spans = sorted((b.first, b.last) for b in batches if b.status == "exported")
    for first, last in spans:
        count += max(0, last - max(first - 1, reach))
        reach = max(reach, last)
    return count


def problem(error: SmsExportError) -> Problem:
    return Problem(code=error.code, message=error.message, retryable=error.retryable)


def failed(subject: Subject, error: Problem) -> Outcome:
    return subject.outcome("failed", error=error, retryable=error.retryable)


def ignored(subject: Subject, reason: str) -> Outcome:
    return subject.outcome("ignored", error=Problem(code="Ignored", message=reason))


def worth_notifying(outcome: Outcome, earlier: Outcome | None, topic: str) -> bool:
    """Not for our own exports, and not for a duplicate delivery: one that found every
    batch already exported, by a run whose stored record (`earlier`, its outcome.json)
    says this same result was published to this topic. Its log line says so; a second
    e-mail would not. That every batch was resumed is not enough: a run killed after its
    last export (during the verdict lookups, say) stored no record and told no one, and
    its retry resumes every batch too."""
    if outcome.status == "ignored":
        return False
    return not _told_before(outcome, earlier, topic)


def _told_before(outcome: Outcome, earlier: Outcome | None, topic: str) -> bool:
    if earlier is None or earlier.notification is None:
        return False
    told = earlier.notification.status == "published" and earlier.notification.topic == topic
    same = _news(earlier) == _news(outcome)
    return told and nothing_new(outcome) and same


def _news(outcome: Outcome) -> tuple[object, ...]:
    """What subscribers are told: a retry that only finished the verdict lookups is news."""
    summary = outcome.consistency
    verdicts = (summary.inconsistent, summary.unknown) if summary else None
    return (outcome.status, outcome.rows.exported, verdicts)


def nothing_new(outcome: Outcome) -> bool:
    """Every batch was found stored by earlier runs: this run exported nothing."""
    return bool(outcome.batches) and all(batch.resumed for batch in outcome.batches)
