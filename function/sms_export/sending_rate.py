"""How fast one instance calls the API: an adaptive token bucket, shared by every worker.

Instances of the function share one API quota that none of them can see. Each instance
therefore learns its share from the gateway's 429s, the way TCP shares a link: the rate
drops to β (0.7) times what it was sending when throttled, then climbs back along the CUBIC curve,
slowly near the rate that was throttled and faster beyond it. This is botocore's adaptive
retry mode (`botocore/retries/adaptive.py`, `bucket.py`, `throttling.py`, with the same
constants), written here because the FunctionGraph package carries no botocore and the
Huawei SDK has no limiter of its own.

Until the first 429 the bucket is open (no limit, or the operator's ceiling). Slots are
handed out in order (a virtual schedule): a worker reserves the next free slot under the
lock and sleeps outside it, so the workers never burst together after a pause.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

BETA = 0.7  # the multiplicative decrease on a 429
SCALE = 0.4  # CUBIC's C: how fast the rate climbs back
MIN_RATE = 0.5  # calls per second: never slower, so a lone instance still gets on
SMOOTHING = 0.8  # of the measured sending rate, as botocore's RateClocker
MEASURE_SECONDS = 0.5  # the measured rate's time bucket


@dataclass
class SendingRate:
    ceiling: float | None = None  # MAX_CALLS_PER_SECOND: the operator's own limit
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _rate: float | None = None  # None: open (no 429 yet, no ceiling)
    _next_slot: float = 0.0
    # CUBIC's memory: the rate that was throttled, and when.
    _throttled_rate: float = 0.0
    _throttled_at: float = 0.0
    # The measured sending rate: calls in the current bucket, smoothed across buckets.
    _measured: float = 0.0
    _bucket: float = 0.0
    _bucket_calls: int = 0
    throttles: int = 0  # 429s seen by this instance

    def __post_init__(self) -> None:
        if self.ceiling is not None:
            self._rate = self.ceiling

    @property
    def rate(self) -> float | None:
        """Calls per second allowed now; None while open."""
        return self._rate

    def reserve(self) -> float:
        """Take the next slot: how long to wait before calling (0: call now)."""
        with self._lock:
            now = self.clock()
            self._count_call(now)
            if self._rate is None:
                return 0.0
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1 / self._rate
            return slot - now

    def throttled(self, sent_at: float | None = None) -> None:
        """The gateway answered 429 to a call sent at `sent_at`: lower the rate below what
        was being sent. Once per burst, as TCP halves once per lost window: a call sent
        before the last decrease was sent at the old rate, and its 429 says nothing new
        (counting each of a burst's 429s would cut the rate to the floor)."""
        with self._lock:
            now = self.clock()
            self.throttles += 1
            if sent_at is not None and sent_at < self._throttled_at:
                return
            sending = self._sending_rate(now)
            rate = sending if self._rate is None else min(sending, self._rate)
            self._throttled_rate, self._throttled_at = rate, now
            self._set(rate * BETA)
            assert self._rate is not None
            # The throttled call took a slot too: the next one waits a whole interval.
            self._next_slot = max(self._next_slot, now + 1 / self._rate)

    def succeeded(self) -> None:
        """A call went through: climb back along the CUBIC curve, at most to twice what is
        being sent (a rate never tried is no evidence), never above the ceiling."""
        with self._lock:
            if not self.throttles:
                return  # open, or held at the ceiling: nothing learnt to climb back from
            now = self.clock()
            regain = (self._throttled_rate * (1 - BETA) / SCALE) ** (1 / 3)
            cubic = SCALE * (now - self._throttled_at - regain) ** 3 + self._throttled_rate
            self._set(min(cubic, 2 * self._sending_rate(now)))

    def _set(self, rate: float) -> None:
        rate = max(MIN_RATE, rate)
        self._rate = rate if self.ceiling is None else min(rate, self.ceiling)

    def _count_call(self, now: float) -> None:
        bucket = (now // MEASURE_SECONDS) * MEASURE_SECONDS
        if bucket > self._bucket:
            current = self._bucket_calls / (bucket - self._bucket)
            self._measured = current * SMOOTHING + self._measured * (1 - SMOOTHING)
            self._bucket, self._bucket_calls = bucket, 0
        self._bucket_calls += 1

    def _sending_rate(self, now: float) -> float:
        """The smoothed measured rate; at the very start, what the current bucket holds."""
        if self._measured:
            return self._measured
        return self._bucket_calls / max(MEASURE_SECONDS, now - self._bucket)
