"""Backoff waits on the scale of seconds, with jitter, and never beyond the cap."""

from __future__ import annotations

import random

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
