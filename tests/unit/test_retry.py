"""Backoff waits on the scale of seconds, with jitter, and never beyond the cap."""

from __future__ import annotations

import random

import pytest

from sms_export.retry import RetryPolicy


def test_default_backoff_doubles_from_one_to_two_seconds_with_jitter() -> None:
    policy = RetryPolicy(rng=random.Random(7))
    for attempt, (low, high) in enumerate([(1, 2), (2, 4), (4, 8), (8, 16), (15, 30)], 1):
        delays = [policy.delay(attempt) for _ in range(200)]
        assert low <= min(delays)
        assert max(delays) <= high
        assert len(set(delays)) > 100  # jittered, so throttled clients do not retry in step


def test_the_cap_bounds_every_wait() -> None:
    policy = RetryPolicy(base_seconds=2, max_seconds=5, rng=random.Random(1))
    assert max(policy.delay(attempt) for attempt in range(1, 11) for _ in range(50)) <= 5


def test_call_retries_retryable_failures_with_growing_waits_then_gives_up() -> None:
    from sms_export.core.errors import CallFailed

    waits: list[float] = []
    failures = [CallFailed("ReadTimeout", "slow", retryable=True)] * 2

    def flaky() -> str:
        if failures:
            raise failures.pop()
        return "done"

    policy = RetryPolicy(max_attempts=3, sleep=waits.append, rng=random.Random(3))
    assert policy.call(flaky) == "done"
    assert len(waits) == 2
    assert 1 <= waits[0] <= 2 <= waits[1] <= 4

    always = CallFailed("SMS.2007", "down", retryable=True)
    attempts: list[int] = []

    def broken() -> str:
        attempts.append(1)
        raise always

    with pytest.raises(CallFailed) as raised:
        RetryPolicy(max_attempts=3, sleep=waits.append).call(broken)
    assert raised.value is always
    assert len(attempts) == 3


def test_call_does_not_retry_a_permanent_failure() -> None:
    from sms_export.core.errors import CallFailed

    waits: list[float] = []
    attempts: list[int] = []

    def refused() -> str:
        attempts.append(1)
        raise CallFailed("SMS.2252", "no task", http_status=404)

    with pytest.raises(CallFailed):
        RetryPolicy(sleep=waits.append).call(refused)
    assert (len(attempts), waits) == (1, [])


def test_the_policy_comes_from_the_settings() -> None:
    from sms_export.settings import Settings

    policy = RetryPolicy.from_settings(
        Settings(
            max_attempts=7,
            retry_base_seconds=3,
            retry_max_seconds=40,
            retry_throttle_base_seconds=0.25,
        )
    )
    assert (policy.max_attempts, policy.base_seconds, policy.max_seconds) == (7, 3, 40)
    assert policy.throttle_base_seconds == 0.25
