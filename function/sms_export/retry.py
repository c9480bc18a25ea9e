"""How long to wait before trying again: exponential backoff with equal jitter after a
fault, full jitter after a 429, on a clock that tests can replace."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sms_export.core.errors import CallFailed
from sms_export.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 2.0
    max_seconds: float = 30.0
    throttle_base_seconds: float = 0.5
    # Without a platform deadline (a local run), how long a call may stay throttled: the
    # longest invocation Lambda allows.
    max_throttled_seconds: float = 900.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, base: float | None = None) -> float:
        """Equal jitter: half of the exponential step is fixed, half random, so clients
        throttled together do not retry in step. Waits are of seconds, not the SDK's 10 ms."""
        base = self.base_seconds if base is None else base
        step = min(self.max_seconds, base * 2.0 ** (attempt - 1))
        return step / 2 + self.rng.uniform(0, step / 2)

    def throttle_delay(self) -> float:
        """Full jitter after a 429, anywhere from nothing to `throttle_base_seconds`, as AWS
        recommends for clients competing for one limit: instances throttled together come
        back apart instead of in step. It does not grow with each 429 of a call: the
        sending rate, lowered by the 429s, is what slows the instance down, and a call
        waiting seconds more after each 429 of a busy window let its slots go unused."""
        return self.rng.uniform(0, self.throttle_base_seconds)

    def call(self, action: Callable[[], T]) -> T:
        """Run `action`, retrying retryable failures (the batch runner has its own loop,
        which also halves batches, pauses the pool and stops on refused credentials)."""
        attempt = 1
        while True:
            try:
                return action()
            except CallFailed as error:
                if not error.retryable or attempt >= self.max_attempts:
                    raise
            self.sleep(self.delay(attempt))
            attempt += 1

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            settings.max_attempts,
            settings.retry_base_seconds,
            settings.retry_max_seconds,
            settings.retry_throttle_base_seconds,
        )
