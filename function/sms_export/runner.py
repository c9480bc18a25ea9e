"""Run batches through export-and-store: a bounded pool, retries with backoff, halving."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from sms_export.core.batching import Batch, halve
from sms_export.core.errors import (
    CallFailed,
    CredentialsRefused,
    DeadlineReached,
    Throttled,
    TooLarge,
)
from sms_export.core.models import BatchResult
from sms_export.core.ports import StoredExport
from sms_export.progress import Progress, Silent
from sms_export.retry import RetryPolicy
from sms_export.sending_rate import SendingRate

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
    throttled: int = 0  # of the attempts, how many the gateway answered with a 429


def described(batch: Batch, **fields: Any) -> BatchResult:
    return BatchResult(
        index=batch.index,
        part=batch.part,
        size=len(batch.triples),
        first=batch.start + 1,
        last=batch.end,
        **fields,
    )


def _result(batch: Batch, tried: Tried[StoredExport]) -> BatchResult:
    stored, error = tried.value, tried.error
    result = described(
        batch,
        status="exported" if stored else "failed",
        attempts=tried.attempts,
        throttled=tried.throttled,
    )
    if stored is not None:
        result.export, result.bytes = stored.uri, stored.bytes
        result.content_type, result.filename = stored.content_type, stored.filename
        result.request_id, result.key = stored.request_id, stored.key
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
        rate: SendingRate | None = None,
    ) -> None:
        self._export_one = export_one
        self._policy = policy
        self._max_concurrency = max_concurrency
        self._time_left = time_left
        self._margin = margin_seconds
        self._progress = progress or Silent()
        self._stop: CallFailed | None = None
        self._lock = threading.Lock()
        # Throttling is about the whole instance, not one batch: every call of the run
        # (exports and verdict lookups) takes its slot from one adaptive rate.
        self._rate = rate or SendingRate(clock=policy.clock)

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
        return [_result(batch, tried)]

    def call_each(self, items: Sequence[A], call: Callable[[A], T]) -> list[Tried[T]]:
        """Other calls of the same run (the verdict lookups) under the same rules as the
        exports: the bounded pool, its sending rate, retries, refused credentials, the deadline.
        Failures are returned, never raised."""
        if not items:
            return []
        with ThreadPoolExecutor(self._max_concurrency, thread_name_prefix="call") as pool:
            return list(pool.map(lambda item: self._with_retries(partial(call, item)), items))

    def _with_retries(self, action: Callable[[], T]) -> Tried[T]:
        """Call until it succeeds, a fault is not worth retrying or has been retried
        MAX_ATTEMPTS times, the credentials are refused, or the deadline comes. A 429 is
        back-pressure, not a fault: the call waits (full jitter, then its slot at the
        lowered rate) and tries again for as long as the deadline allows."""
        calls = faults = throttles = 0
        last: CallFailed | None = None
        first_throttled: float | None = None
        while (cause := self._stop or self._wait_for_slot(throttles)) is None:
            calls += 1
            sent_at = self._rate.clock()
            try:
                value = action()
            except Throttled as error:
                last, throttles = error, throttles + 1
                self._rate.throttled(sent_at)
                if first_throttled is None:
                    first_throttled = self._policy.clock()
                if self._throttled_too_long(first_throttled):
                    return Tried(None, error, calls, throttles)
                continue
            except CallFailed as error:
                last, faults = error, faults + 1
                if not self._try_again(error, faults):
                    return Tried(None, error, calls, throttles)
                continue
            self._rate.succeeded(sent_at)
            return Tried(value, None, calls, throttles)
        return Tried(None, last, calls, throttles) if last else Tried(None, cause, 0)

    def _try_again(self, error: CallFailed, faults: int) -> bool:
        """After a failed attempt: stop, or back off and retry."""
        if isinstance(error, CredentialsRefused):
            with self._lock:
                self._stop = self._stop or error
        if not error.retryable or faults >= self._policy.max_attempts:
            return False
        return self._wait(self._policy.delay(faults)) is None

    def _wait_for_slot(self, throttles: int) -> CallFailed | None:
        """Before each call: after a 429, a fully jittered wait (so that instances
        throttled together come back apart), then the next slot at this instance's rate.
        No call is made that would start inside the deadline margin."""
        late = self._out_of_time()
        if late is None and throttles:
            late = self._wait(self._policy.throttle_delay())
        while late is None and (due := self._rate.take()) > 0:
            late = self._wait(due)
        return late

    def _throttled_too_long(self, since: float) -> bool:
        """With a deadline, a throttled call waits as long as it allows. Without one (a
        local run), not forever: as long as the longest invocation a platform allows."""
        waited = self._policy.clock() - since
        return self._time_left() is None and waited >= self._policy.max_throttled_seconds

    def _wait(self, seconds: float) -> CallFailed | None:
        """Sleep, unless waking would leave less than the margin before the timeout: then
        nothing could be started any more, and the time is better left to the outcome."""
        late = self._out_of_time(after=seconds)
        if late is None and seconds > 0:
            self._policy.sleep(seconds)
        return late

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
