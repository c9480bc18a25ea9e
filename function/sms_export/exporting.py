"""Run batches through export-and-store: a bounded pool, retries with backoff, halving."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from sms_export.batching import Batch, halve
from sms_export.errors import ExportError
from sms_export.models import BatchResult
from sms_export.progress import Progress, Silent
from sms_export.settings import Settings
from sms_export.storage import StoredExport

ExportOne = Callable[[Batch], StoredExport]
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 2.0
    max_seconds: float = 30.0
    throttle_base_seconds: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, base: float | None = None) -> float:
        """Equal jitter: half of the exponential step is fixed, half random.

        Waits are of seconds, not the SDK's 10 ms steps.
        """
        base = self.base_seconds if base is None else base
        step = min(self.max_seconds, base * 2.0 ** (attempt - 1))
        return step / 2 + self.rng.uniform(0, step / 2)

    def call(self, action: Callable[[], T]) -> T:
        """Run `action`, retrying retryable ExportErrors (the batch runner has its own loop,
        which also halves batches and stops on refused credentials)."""
        attempt = 1
        while True:
            try:
                return action()
            except ExportError as error:
                if not error.retryable or attempt >= self.max_attempts:
                    raise
            self.sleep(self.delay(attempt))
            attempt += 1


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        settings.max_attempts,
        settings.retry_base_seconds,
        settings.retry_max_seconds,
        settings.retry_throttle_base_seconds,
    )


def _result(
    batch: Batch,
    attempts: int,
    stored: StoredExport | None = None,
    error: ExportError | None = None,
) -> BatchResult:
    result = BatchResult(
        index=batch.index,
        part=batch.part,
        size=len(batch.triples),
        status="exported" if stored else "failed",
        attempts=attempts,
    )
    if stored is not None:
        result.export, result.bytes = stored.uri, stored.bytes
        result.content_type, result.filename = stored.content_type, stored.filename
        result.request_id = stored.request_id
        result.resumed = stored.resumed
        result.attempts = 0 if stored.resumed else attempts
    if error is not None:
        result.error_code, result.error_msg = error.error_code, error.error_msg
        result.http_status, result.request_id = error.http_status, error.request_id
        result.retryable = error.retryable
    return result


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
        self._stop: ExportError | None = None
        self._lock = threading.Lock()
        # Throttling is about the whole client, not one batch: the pool pauses together,
        # for longer each time the API throttles again, instead of every worker hammering.
        self._pause_until = 0.0
        self._throttled_in_a_row = 0

    def run(self, batches: Sequence[Batch]) -> list[BatchResult]:
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
            except ExportError as error:
                last = error
                if error.too_large and len(batch.triples) > 1:
                    first, second = halve(batch)
                    return self._export_with_retries(first) + self._export_with_retries(second)
                if error.fatal:
                    with self._lock:
                        self._stop = self._stop or error
                if not error.retryable or attempt >= self._policy.max_attempts:
                    return [_result(batch, attempt, error=error)]
                if error.throttled:
                    self._throttled()  # the pause is the wait
                else:
                    self._wait_before_retry(attempt)
                continue
            with self._lock:
                self._throttled_in_a_row = 0
            return [_result(batch, attempt, stored=stored)]

    def _throttled(self) -> None:
        """Pause the whole pool, longer each time the API throttles again in a row."""
        with self._lock:
            if time.monotonic() < self._pause_until:
                return  # the same burst, already paused for: no need to pause longer
            self._throttled_in_a_row += 1
            pause = self._policy.delay(self._throttled_in_a_row, self._policy.throttle_base_seconds)
            self._pause_until = max(self._pause_until, time.monotonic() + pause)

    def _wait_for_pause(self) -> None:
        while (wait := self._pause_until - time.monotonic()) > 0:
            left = self._time_left()
            if left is not None:
                wait = min(wait, max(0.0, left - self._margin))  # never past the deadline
                if wait == 0:
                    return
            self._policy.sleep(wait)

    def _out_of_time(self) -> ExportError | None:
        left = self._time_left()
        if left is None or left >= self._margin:
            return None
        return ExportError(
            "DeadlineReached",
            f"{left:.0f} s were left before the function's "
            f"timeout, under the {self._margin:.0f} s margin",
            retryable=True,
        )

    def _wait_before_retry(self, attempt: int) -> None:
        delay = self._policy.delay(attempt)
        left = self._time_left()
        if left is not None:
            delay = min(delay, max(0.0, left - self._margin))  # never sleep past the deadline
        self._policy.sleep(delay)

    @staticmethod
    def _not_started(batch: Batch, cause: ExportError) -> BatchResult:
        return BatchResult(
            index=batch.index,
            part=batch.part,
            size=len(batch.triples),
            status="pending",
            retryable=cause.retryable,
            error_code=cause.error_code,
            error_msg=f"Not started: {cause.error_msg}"
            if cause.error_code == "DeadlineReached"
            else f"Not started: an earlier batch failed with {cause.error_code} "
            f"({cause.error_msg})",
        )
