"""The batch runner on a fake clock: its sending rate, backoff, deadlines, halving, stopping."""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from sms_export.core.batching import Batch, plan
from sms_export.core.errors import CallFailed, CredentialsRefused, Throttled, TooLarge
from sms_export.core.models import BatchResult, Triple
from sms_export.core.ports import StoredExport
from sms_export.retry import RetryPolicy
from sms_export.runner import BatchRunner
from sms_export.sending_rate import SendingRate
from tests.support import triples


class Largest(random.Random):
    """Jitter that always picks the top of its range: delays become exact."""

    def uniform(self, a: float, b: float) -> float:
        return b


@dataclass
class FakeClock:
    """Time passes only when someone sleeps; every sleep is recorded."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


@dataclass
class ScriptedApi:
    """An export_one whose answers are scripted per call; it records when each call came."""

    clock: FakeClock
    script: dict[int, list[Exception]] = field(default_factory=dict)  # by batch.start
    calls: list[tuple[float, Batch]] = field(default_factory=list)
    fail_always: Callable[[Batch], Exception | None] = lambda batch: None

    def __call__(self, batch: Batch) -> StoredExport:
        self.calls.append((self.clock.now, batch))
        failure = self.fail_always(batch)
        queued = self.script.get(batch.start)
        if failure is None and queued:
            failure = queued.pop(0)
        if failure is not None:
            raise failure
        return StoredExport(f"file:///{batch.start}-{batch.end}", 10, "text/csv", None)


def policy(clock: FakeClock, attempts: int = 5, **kwargs: float) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=attempts,
        base_seconds=kwargs.get("base", 2.0),
        max_seconds=kwargs.get("cap", 30.0),
        throttle_base_seconds=kwargs.get("throttle", 0.5),
        sleep=clock.sleep,
        clock=clock,
        rng=Largest(),
    )


def batches(count: int, size: int = 10) -> list[Batch]:
    return plan([Triple(*row) for row in triples(count * size)], size, 10**9)


def throttled() -> Throttled:
    return Throttled("APIGW.0308", "over ratelimit", http_status=429)


def test_a_429_is_back_pressure_and_does_not_use_up_max_attempts() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock, {0: [throttled()] * 6})
    results = BatchRunner(api, policy(clock, attempts=2), max_concurrency=1).run(batches(2))
    assert [r.status for r in results] == ["exported"] * 2
    assert (results[0].attempts, results[0].throttled) == (7, 6)
    assert (results[1].attempts, results[1].throttled) == (1, 0)


def test_a_throttled_call_waits_a_full_jitter_then_its_slot_before_trying_again() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock, {0: [throttled()] * 3})
    rate = SendingRate(clock=clock)
    BatchRunner(api, policy(clock), max_concurrency=1, rate=rate).run(batches(1))
    # The top of the jitter (Largest), 0.5 s each time, not growing with each 429: the
    # lowered rate is what slows the instance down. Then the rest of the call's slot at
    # that rate: nothing was let through, so the floor, 0.5 calls/s, 2 s after the 429.
    assert clock.sleeps == [0.5, 1.5] * 3
    assert [at for at, _ in api.calls] == [0.0, 2.0, 4.0, 6.0]
    assert rate.throttles == 3


def test_after_a_429_calls_are_spaced_at_the_lowered_rate() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock, {0: [throttled()]})
    rate = SendingRate(clock=clock)
    BatchRunner(api, policy(clock), max_concurrency=1, rate=rate).run(batches(6))
    assert rate.rate is not None  # the bucket is on once the gateway has throttled
    times = [at for at, _ in api.calls]
    # Before the 429, no limit; after it, no two calls closer than the slowest slot allows
    # and none closer than the fastest (twice the measured rate, here 2 calls in 0.5 s).
    assert times[0] == 0.0
    assert all(b - a >= 1 / 8 - 1e-9 for a, b in itertools.pairwise(times[1:]))


def test_a_ceiling_spaces_calls_before_any_429() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock)
    rate = SendingRate(ceiling=4.0, clock=clock)
    BatchRunner(api, policy(clock), max_concurrency=1, rate=rate).run(batches(5))
    assert [at for at, _ in api.calls] == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_a_throttled_call_keeps_trying_until_the_deadline_and_no_further() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock, fail_always=lambda batch: throttled())
    results = BatchRunner(
        api,
        policy(clock, attempts=2),
        max_concurrency=1,
        time_left=lambda: 100.0 - clock.now,
        margin_seconds=30.0,
    ).run(batches(2))
    assert len(api.calls) > 2  # more than MAX_ATTEMPTS: throttling is not a fault
    assert all(at <= 70.0 for at, _ in api.calls)
    assert sum(clock.sleeps) <= 70.0
    # The first batch stops when its next wait would end inside the margin, the second
    # is not started after it: both are left for a retry, none as done.
    assert [(r.status, r.error_code, r.retryable) for r in results] == [
        ("failed", "APIGW.0308", True),
        ("pending", "DeadlineReached", True),
    ]
    assert sum(r.throttled for r in results) == sum(r.attempts for r in results) == len(api.calls)


def test_without_a_deadline_a_throttled_call_gives_up_after_the_longest_invocation() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock, fail_always=lambda batch: throttled())
    slow = RetryPolicy(max_throttled_seconds=60.0, sleep=clock.sleep, clock=clock, rng=Largest())
    results = BatchRunner(api, slow, max_concurrency=1).run(batches(1))
    assert results[0].status == "failed"
    assert results[0].retryable
    assert 60.0 <= api.calls[-1][0] < 60.0 + 30.0 + 1 / 0.5


def test_a_wait_past_the_deadline_is_not_slept_and_nothing_is_called_after_it() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock, fail_always=lambda batch: throttled())
    results = BatchRunner(
        api,
        policy(clock, attempts=10, throttle=8.0),
        max_concurrency=1,
        time_left=lambda: 35.0 - clock.now,
        margin_seconds=30.0,
    ).run(batches(1))
    assert clock.sleeps == []  # the 8 s wait would end 3 s inside the margin
    assert len(api.calls) == 1
    assert [(r.status, r.error_code) for r in results] == [("failed", "APIGW.0308")]


def test_backoff_never_sleeps_past_the_deadline() -> None:
    clock = FakeClock()
    failure = CallFailed("SMS.2007", "Background exception", http_status=500, retryable=True)
    api = ScriptedApi(clock, fail_always=lambda batch: failure)
    deadline = 40.0

    results = BatchRunner(
        api,
        policy(clock, attempts=10),
        max_concurrency=1,
        time_left=lambda: deadline - clock.now,
        margin_seconds=30.0,
    ).run(batches(2))
    # 10 s of work time before the margin: backoffs of 2 and 4 s fit; the next, of 8 s,
    # would end inside the margin, so the batch gives up instead of sleeping into it. The
    # second batch has 4 s left: one backoff of 2 s, then the next (4 s) would not fit.
    assert clock.sleeps == [2.0, 4.0, 2.0]
    assert clock.now == pytest.approx(8.0)
    assert [r.attempts for r in results] == [3, 2]
    assert all(r.status == "failed" and r.error_code == "SMS.2007" for r in results)
    assert all(r.retryable for r in results)


def test_less_time_than_the_margin_starts_nothing() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock)
    results = BatchRunner(api, policy(clock), 2, time_left=lambda: 29.9, margin_seconds=30.0).run(
        batches(3)
    )
    assert api.calls == []
    assert {r.status for r in results} == {"pending"}
    assert all("Not started" in (r.error_msg or "") for r in results)


def test_exactly_the_margin_left_still_starts_a_batch() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock)
    results = BatchRunner(api, policy(clock), 1, time_left=lambda: 30.0, margin_seconds=30.0).run(
        batches(1)
    )
    assert [r.status for r in results] == ["exported"]


def too_large_over(limit: int) -> Callable[[Batch], Exception | None]:
    def check(batch: Batch) -> Exception | None:
        return (
            TooLarge("SMS.2004", "too large", http_status=400)
            if len(batch.triples) > limit
            else None
        )

    return check


def test_a_batch_too_large_is_halved_until_the_api_accepts_it() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock, fail_always=too_large_over(3))
    results = BatchRunner(api, policy(clock), 1).run(batches(1, size=10))
    assert [(r.part, r.first, r.last) for r in results] == [
        ("1-1", 1, 2),
        ("1-2", 3, 5),
        ("2-1", 6, 7),
        ("2-2", 8, 10),
    ]
    assert all(r.status == "exported" and r.index == 1 for r in results)
    assert clock.sleeps == []  # halving is not a retry: no wait


def test_a_single_row_the_api_calls_too_large_fails_alone() -> None:
    clock = FakeClock()
    big = Triple("t", "s", "x" * 255)

    def one_is_too_large(batch: Batch) -> Exception | None:
        if big in batch.triples:
            return TooLarge("SMS.2004", "too large", http_status=400)
        return None

    rows = [Triple(*row) for row in triples(3)]
    api = ScriptedApi(clock, fail_always=one_is_too_large)
    results = BatchRunner(api, policy(clock), 1).run(plan([*rows[:2], big, rows[2]], 2, 10**9))
    failed = [r for r in results if r.status == "failed"]
    assert [(r.first, r.last, r.error_code, r.retryable) for r in failed] == [
        (3, 3, "SMS.2004", False)
    ]
    assert sum(r.size for r in results if r.status == "exported") == 3


def test_refused_credentials_stop_every_batch_not_yet_started() -> None:
    clock = FakeClock()
    refused = CredentialsRefused("APIGW.0301", "Incorrect IAM authentication", http_status=401)
    api = ScriptedApi(clock, fail_always=lambda batch: refused)
    results = BatchRunner(api, policy(clock), 1).run(batches(4))
    assert len(api.calls) == 1
    assert [r.status for r in results] == ["failed", "pending", "pending", "pending"]
    assert "APIGW.0301" in (results[1].error_msg or "")
    assert not any(r.retryable for r in results)


def test_retries_stop_at_max_attempts_with_the_last_error_reported() -> None:
    clock = FakeClock()
    errors = [
        CallFailed("ReadTimeout", "no answer", retryable=True),
        CallFailed(
            "SMS.2007", "Background exception", http_status=503, request_id="r-2", retryable=True
        ),
    ]
    api = ScriptedApi(clock, {0: list(errors)})
    (result,) = BatchRunner(api, policy(clock, attempts=2), 1).run(batches(1))
    assert (result.status, result.attempts, result.error_code) == ("failed", 2, "SMS.2007")
    assert (result.http_status, result.request_id, result.retryable) == (503, "r-2", True)
    assert clock.sleeps == [2.0]


def test_a_permanent_error_is_not_retried() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock, {0: [CallFailed("SMS.2252", "no task", http_status=404)]})
    (result,) = BatchRunner(api, policy(clock), 1).run(batches(1))
    assert (result.status, result.attempts, result.retryable) == ("failed", 1, False)
    assert len(api.calls) == 1


def test_results_describe_each_batch_and_report_progress() -> None:
    clock = FakeClock()
    seen: list[BatchResult] = []

    class Recorder:
        def row_read(self) -> None: ...

        def batches_planned(self, count: int) -> None: ...

        def batch_done(self, result: BatchResult) -> None:
            seen.append(result)

    results = BatchRunner(ScriptedApi(clock), policy(clock), 2, progress=Recorder()).run(
        batches(3, size=4)
    )
    assert [(r.index, r.first, r.last, r.size) for r in results] == [
        (1, 1, 4, 4),
        (2, 5, 8, 4),
        (3, 9, 12, 4),
    ]
    assert results[0].export == "file:///0-4"
    assert sorted(r.index for r in seen) == [1, 2, 3]


def test_a_result_carries_the_request_id_of_the_call_that_stored_it() -> None:
    clock = FakeClock()

    def with_request_id(batch: Batch) -> StoredExport:
        return StoredExport("file:///x", 3, "text/csv", "f.csv", request_id=f"r-{batch.index}")

    (result,) = BatchRunner(with_request_id, policy(clock), 1).run(batches(1))
    assert (result.request_id, result.filename, result.content_type, result.bytes) == (
        "r-1",
        "f.csv",
        "text/csv",
        3,
    )


def test_pending_batches_say_why_they_were_not_started() -> None:
    clock = FakeClock()
    results = BatchRunner(
        ScriptedApi(clock), policy(clock), 1, time_left=lambda: 12.4, margin_seconds=30.0
    ).run(batches(2))
    assert {r.error_msg for r in results} == {
        "Not started: 12 s were left before the function's timeout, under the 30 s margin"
    }
    assert all(r.retryable and r.error_code == "DeadlineReached" for r in results)

    refused = CredentialsRefused("APIGW.0301", "Incorrect IAM authentication", http_status=401)
    api = ScriptedApi(clock, fail_always=lambda batch: refused)
    _, pending = BatchRunner(api, policy(clock), 1).run(batches(2))
    assert pending.error_msg == (
        "Not started: an earlier batch failed with APIGW.0301 (Incorrect IAM authentication)"
    )
    assert pending.retryable is False


def test_without_a_margin_the_last_second_is_still_used() -> None:
    clock = FakeClock()
    results = BatchRunner(ScriptedApi(clock), policy(clock), 1, time_left=lambda: 0.5).run(
        batches(1)
    )
    assert [r.status for r in results] == ["exported"]


def test_no_more_batches_run_at_once_than_max_concurrency() -> None:
    clock = FakeClock()
    lock = threading.Lock()
    in_flight, most = 0, 0

    def slow(batch: Batch) -> StoredExport:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        threading.Event().wait(0.02)  # long enough for the pool to start others
        with lock:
            in_flight -= 1
        return StoredExport("file:///x", 1, "text/csv", None)

    results = BatchRunner(slow, policy(clock), max_concurrency=3).run(batches(12))
    assert len(results) == 12
    assert most == 3


# -- other calls under the same rules (the verdict lookups) ------------------------------------
def test_other_calls_are_retried_and_their_failures_returned_not_raised() -> None:
    clock = FakeClock()
    answers: dict[str, list[Exception | str]] = {
        "a": [CallFailed("500", "boom", retryable=True), "a-result"],
        "b": [CallFailed("SMS.2252", "no such task")],
    }

    def lookup(name: str) -> str:
        answer = answers[name].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    runner = BatchRunner(ScriptedApi(clock), policy(clock), max_concurrency=2)
    first, second = runner.call_each(["a", "b"], lookup)
    assert (first.value, first.error, first.attempts) == ("a-result", None, 2)
    assert (second.value, second.attempts) == (None, 1)
    assert second.error is not None
    assert second.error.code == "SMS.2252"
    assert clock.sleeps == [2.0]  # one backoff, as an export would wait
    assert runner.call_each([], lookup) == []


def test_other_calls_are_not_started_past_the_deadline_nor_after_refused_credentials() -> None:
    clock = FakeClock()
    late = BatchRunner(
        ScriptedApi(clock), policy(clock), 1, time_left=lambda: 10.0, margin_seconds=30.0
    )
    (tried,) = late.call_each(["a"], lambda name: pytest.fail("called past the deadline"))
    assert (tried.attempts, tried.error and tried.error.code) == (0, "DeadlineReached")

    refused = BatchRunner(ScriptedApi(clock), policy(clock), 1)
    calls: list[str] = []

    def lookup(name: str) -> str:
        calls.append(name)
        raise CredentialsRefused("APIGW.0301", "bad key", http_status=401)

    first, second = refused.call_each(["a", "b"], lookup)
    assert calls == ["a"]
    assert (first.attempts, second.attempts) == (1, 0)
    assert second.error is not None
    assert second.error.code == "APIGW.0301"


def test_other_calls_run_on_the_same_bounded_pool() -> None:
    clock = FakeClock()
    active, most = [0], [0]
    lock = threading.Lock()

    def lookup(name: str) -> str:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.02)  # (real time: the calls must overlap to be counted)
        with lock:
            active[0] -= 1
        return name

    runner = BatchRunner(ScriptedApi(clock), policy(clock), max_concurrency=2)
    tried = runner.call_each([str(n) for n in range(8)], lookup)
    assert [t.value for t in tried] == [str(n) for n in range(8)]  # in the items' order
    assert most[0] == 2
