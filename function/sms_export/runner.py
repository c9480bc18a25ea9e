"""Run batches through export-and-store: a bounded pool, retries with backoff, halving."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from sms_export.batching import Batch, halve
from sms_export.errors import (
    CallFailed,
    CredentialsRefused,
    DeadlineReached,
    Throttled,
    TooLarge,
)
from sms_export.models import BatchResult
from sms_export.progress import Progress, Silent
from sms_export.retry import RetryPolicy
from sms_export.storage import StoredExport

ExportOne = Callable[[Batch], StoredExport]
A = TypeVar("A")
T = TypeVar("T")


@dataclass(frozen=True)
class Tried(Generic[T]):
    """What a call under the runner's rules came to: its value, or the error that ended
    it; no attempts when it was never started (the deadline, refused credentials)."""

    value: T | None
    error: CallFailed | None
    attempts: int


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
        tried = self._with_retries(partial(self._export_one, batch))
        if isinstance(tried.error, TooLarge) and len(batch.triples) > 1:
            first, second = halve(batch)  # (one row alone too large simply fails)
            return self._export_with_retries(first) + self._export_with_retries(second)
        if tried.error is not None and not tried.attempts:
            return [self._not_started(batch, tried.error)]
        return [_result(batch, tried.attempts, stored=tried.value, error=tried.error)]

    def call_each(self, items: Sequence[A], call: Callable[[A], T]) -> list[Tried[T]]:
        """Other calls of the same run (the verdict lookups) under the same rules as the
        exports: the bounded pool, its pauses, retries, refused credentials, the deadline.
        Failures are returned, never raised."""
        if not items:
            return []
        with ThreadPoolExecutor(self._max_concurrency, thread_name_prefix="call") as pool:
            return list(pool.map(lambda item: self._with_retries(partial(call, item)), items))

    def _with_retries(self, action: Callable[[], T]) -> Tried[T]:
        attempt, last = 0, None
        while (cause := self._stop or self._out_of_time() or self._wait_for_pause()) is None:
            attempt += 1
            try:
                value = action()
            except CallFailed as error:
                last = error
                if not self._try_again(error, attempt):
                    return Tried(None, error, attempt)
                continue
            with self._lock:
                self._throttled_in_a_row = 0
            return Tried(value, None, attempt)
        return Tried(None, last, attempt) if last else Tried(None, cause, 0)

    def _try_again(self, error: CallFailed, attempt: int) -> bool:
        """After a failed attempt: stop, or wait (the pool's pause, or a backoff) and retry."""
        if isinstance(error, CredentialsRefused):
            with self._lock:
                self._stop = self._stop or error
        if not error.retryable or attempt >= self._policy.max_attempts:
            return False
        if isinstance(error, Throttled):
            self._throttled()  # the pause is the wait
            return True
        return self._sleep_unless_past_deadline(self._policy.delay(attempt))

    def _throttled(self) -> None:
        """Pause the whole pool, longer each time the API throttles again in a row."""
        now = self._policy.clock()
        with self._lock:
            if now < self._pause_until:
                return  # the same burst, already paused for: no need to pause longer
            self._throttled_in_a_row += 1
            pause = self._policy.delay(self._throttled_in_a_row, self._policy.throttle_base_seconds)
            self._pause_until = now + pause

    def _wait_for_pause(self) -> CallFailed | None:
        """Wait out the pool's pause; no call is made during it, and none after it if it
        ends past the deadline."""
        while (wait := self._pause_until - self._policy.clock()) > 0:
            if not self._sleep_unless_past_deadline(wait):
                return self._out_of_time(after=wait)
        return None

    def _sleep_unless_past_deadline(self, seconds: float) -> bool:
        """Sleep, unless waking would leave less than the margin before the timeout: then
        nothing could be started any more, and the time is better left to the outcome."""
        if self._out_of_time(after=seconds) is not None:
            return False
        self._policy.sleep(seconds)
        return True

    def _out_of_time(self, after: float = 0.0) -> CallFailed | None:
        left = self._time_left()
        if left is None or left - after >= self._margin:
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
