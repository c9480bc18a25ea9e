"""Run batches through export-and-store: a bounded pool, retries with backoff, halving."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sms_export.batching import Batch, halve
from sms_export.errors import CallFailed, CredentialsRefused, Throttled, TooLarge
from sms_export.models import BatchResult
from sms_export.progress import Progress, Silent
from sms_export.retry import RetryPolicy
from sms_export.storage import StoredExport

ExportOne = Callable[[Batch], StoredExport]


def described(batch: Batch, **fields: Any) -> BatchResult:
    return BatchResult(
        index=batch.index,
        part=batch.part,
        size=len(batch.triples),
        first=batch.start + 1,
        last=batch.end,
        **fields,
    )


def _result(
    batch: Batch,
    attempts: int,
    stored: StoredExport | None = None,
    error: CallFailed | None = None,
) -> BatchResult:
    result = described(batch, status="exported" if stored else "failed", attempts=attempts)
    if stored is not None:
        result.export, result.bytes = stored.uri, stored.bytes
        result.content_type, result.filename = stored.content_type, stored.filename
        result.request_id = stored.request_id
    if error is not None:
        result.error_code, result.error_msg = error.code, error.message
        result.http_status, result.request_id = error.http_status, error.request_id
        result.retryable = error.retryable
    return result


class DeadlineReached(CallFailed):
    default_retryable = True

    def __init__(self, left: float, margin: float) -> None:
        super().__init__(
            "DeadlineReached",
            f"{left:.0f} s were left before the function's timeout, under the {margin:.0f} s "
            "margin",
        )


class BatchRunner:
    """Exports batches on a bounded pool. Stops starting new work when the credentials are
    refused (every batch would fail the same way) or when the function's time runs out."""

    def __init__(
        self,
        export_one: ExportOne,
        policy: RetryPolicy,
        max_concurrency: int,
        time_left: Callable[[], float | None] = lambda: None,
        margin_seconds: float = 0.0,
        progress: Progress | None = None,
    ) -> None:
        self._export_one = export_one
        self._policy = policy
        self._max_concurrency = max_concurrency
        self._time_left = time_left
        self._margin = margin_seconds
        self._progress = progress or Silent()
        self._stop: CallFailed | None = None
        self._lock = threading.Lock()
        # Throttling is about the whole client, not one batch: the pool pauses together,
        # for longer each time the API throttles again, instead of every worker hammering.
        self._pause_until = 0.0
        self._throttled_in_a_row = 0

    def run(self, batches: Sequence[Batch]) -> list[BatchResult]:
        if not batches:
            return []
        with ThreadPoolExecutor(self._max_concurrency, thread_name_prefix="export") as pool:
            per_batch = list(pool.map(self._export_and_report, batches))
        return [result for results in per_batch for result in results]

    def _export_and_report(self, batch: Batch) -> list[BatchResult]:
        results = self._export_with_retries(batch)
        for result in results:
            self._progress.batch_done(result)
        return results

    def _export_with_retries(self, batch: Batch) -> list[BatchResult]:
        attempt, last = 0, None
        while True:
            cause = self._stop or self._out_of_time()
            if cause is not None:
                if last is None:
                    return [self._not_started(batch, cause)]
                return [_result(batch, attempt, error=last)]
            attempt += 1
            self._wait_for_pause()
            try:
                stored = self._export_one(batch)
            except TooLarge as error:
                if len(batch.triples) == 1:
                    return [_result(batch, attempt, error=error)]  # this row alone is too large
                first, second = halve(batch)
                return self._export_with_retries(first) + self._export_with_retries(second)
            except CallFailed as error:
                last = error
                if isinstance(error, CredentialsRefused):
                    with self._lock:
                        self._stop = self._stop or error
                if not error.retryable or attempt >= self._policy.max_attempts:
                    return [_result(batch, attempt, error=error)]
                if isinstance(error, Throttled):
                    self._throttled()  # the pause is the wait
                else:
                    self._wait_before_retry(attempt)
                continue
            with self._lock:
                self._throttled_in_a_row = 0
            return [_result(batch, attempt, stored=stored)]

    def _throttled(self) -> None:
        """Pause the whole pool, longer each time the API throttles again in a row."""
        now = self._policy.clock()
        with self._lock:
            if now < self._pause_until:
                return  # the same burst, already paused for: no need to pause longer
            self._throttled_in_a_row += 1
            pause = self._policy.delay(self._throttled_in_a_row, self._policy.throttle_base_seconds)
            self._pause_until = now + pause

    def _wait_for_pause(self) -> None:
        while (wait := self._pause_until - self._policy.clock()) > 0:
            wait = self._within_deadline(wait)
            if wait == 0:
                return
            self._policy.sleep(wait)

    def _wait_before_retry(self, attempt: int) -> None:
        self._policy.sleep(self._within_deadline(self._policy.delay(attempt)))

    def _within_deadline(self, wait: float) -> float:
        """Never sleep past the point where the margin before the timeout begins."""
        left = self._time_left()
        return wait if left is None else min(wait, max(0.0, left - self._margin))

    def _out_of_time(self) -> CallFailed | None:
        left = self._time_left()
        if left is None or left >= self._margin:
            return None
        return DeadlineReached(left, self._margin)

    @staticmethod
    def _not_started(batch: Batch, cause: CallFailed) -> BatchResult:
        why = (
            cause.message
            if isinstance(cause, DeadlineReached)
            else f"an earlier batch failed with {cause.code} ({cause.message})"
        )
        return described(
            batch,
            status="pending",
            retryable=cause.retryable,
            error_code=cause.code,
            error_msg=f"Not started: {why}",
        )
