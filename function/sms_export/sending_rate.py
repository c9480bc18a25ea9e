"""How fast one instance calls the API: an adaptive token bucket, shared by every worker.

Instances of the function share one API quota that none of them can see. Each instance
therefore learns its share from the gateway's 429s, the way TCP shares a link: on a 429 the
rate drops to β times the instance's share, then climbs back along the CUBIC curve, slowly
near the share and faster beyond it. This is botocore's adaptive retry mode
(`botocore/retries/adaptive.py`, `bucket.py`, `throttling.py`), written here because the
FunctionGraph package carries no botocore and the Huawei SDK has no limiter of its own, with
three changes, each measured against a shared quota (`make bench`, bench/RESULTS.md):

- **From the share, not from what was sent.** The share is what the gateway let through of
  this instance's calls in the last window (its quota is calls per second), counting the
  calls still in flight as their answers come. botocore starts from the rate sent, 429s
  included: after an open burst that counted calls the gateway mostly refused, and in a
  fleet of 16 every instance kept sending about twice its share, one call in two refused.
- **Once per window.** After a decrease the gateway's window still holds calls sent at the
  old rate, and their 429s say nothing new: a 429 lowers the rate at most once per window,
  as TCP reduces once per round trip. Lowered on every 429 (botocore), the aftermath of one
  burst cut it to the floor.
- **β 0.85 and C 1.5**, not 0.7 and 0.4: from the share a smaller cut suffices, and
  botocore's curve takes 2.5 s to climb back to 20 calls/s where the window is one second;
  an instance left alone at the end of a fleet's run took seconds to take up the quota the
  others left.

Until the first 429 the bucket is open (no limit, or the operator's ceiling). After it,
the bucket holds one token: a call may go 1/rate after the one before, so the workers never
burst together after a pause. A worker whose slot is not yet due takes nothing, sleeps
until it is due and asks again, like botocore's `TokenBucket.acquire`: a slot booked ahead
would keep the rate of when it was booked, and with MAX_CONCURRENCY workers queued at a
low rate the pool would follow a raised rate (or a lowered one) seconds late, the tail of a
fleet's run, when others finish and leave their share of the quota, most of all.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

BETA = 0.85  # the multiplicative decrease on a 429 (botocore: 0.7)
SCALE = 1.5  # CUBIC's C: how fast the rate climbs back (botocore: 0.4)
MIN_RATE = 0.5  # calls per second: never slower, so a lone instance still gets on
SMOOTHING = 0.8  # of the measured sending rate, as botocore's RateClocker
MEASURE_SECONDS = 0.5  # the measured rate's time bucket
WINDOW_SECONDS = 1.0  # the gateway's: quotas are calls per second


@dataclass
class SendingRate:
    ceiling: float | None = None  # MAX_CALLS_PER_SECOND: the operator's own limit
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _rate: float | None = None  # None: open (no 429 yet, no ceiling)
    _last_slot: float | None = None  # when the last call went (or was throttled)
    # CUBIC's memory: the rate that was throttled, and when.
    _throttled_rate: float = 0.0
    _throttled_at: float = 0.0
    # The measured sending rate: calls in the current bucket, smoothed across buckets.
    _measured: float = 0.0
    _bucket: float = 0.0
    _bucket_calls: int = 0
    # When the successes of the last window were answered: the share.
    _answered: deque[float] = field(default_factory=deque, repr=False)
    throttles: int = 0  # 429s seen by this instance

    def __post_init__(self) -> None:
        if self.ceiling is not None:
            self._rate = self.ceiling

    @property
    def rate(self) -> float | None:
        """Calls per second allowed now; None while open."""
        return self._rate

    def take(self) -> float:
        """Take the next slot if it is due (0: call now); otherwise how long until it is
        due, taking nothing: sleep that long and ask again."""
        with self._lock:
            now = self.clock()
            if self._rate is not None and self._last_slot is not None:
                wait = self._last_slot + 1 / self._rate - now
                if wait > 0:
                    return wait
            self._last_slot = now
            self._count_call(now)
            return 0.0

    def throttled(self, sent_at: float | None = None) -> None:
        """The gateway answered 429 to a call sent at `sent_at` (default: now): lower the
        rate to β times the share, unless it was lowered less than a window before the
        call was sent."""
        with self._lock:
            now = self.clock()
            sent_at = now if sent_at is None else sent_at
            self.throttles += 1
            if self.throttles > 1 and sent_at < self._throttled_at + WINDOW_SECONDS:
                return
            share = float(self._let_through(now))
            self._throttled_rate, self._throttled_at = share, now
            self._set(share * BETA)
            # The throttled call took a slot too: the next one waits a whole interval.
            self._last_slot = now

    def succeeded(self, sent_at: float | None = None) -> None:
        """A call sent at `sent_at` went through: climb back along the CUBIC curve, at most
        to twice what is being sent (a rate never tried is no evidence), never above the
        ceiling. A call sent in the window before the last decrease and answered after it
        was let through in that window too: the share the decrease started from was one
        larger (a 429 comes back at once, a success only after the export's latency)."""
        with self._lock:
            now = self.clock()
            self._answered.append(now)
            self._forget_answers_before(now - WINDOW_SECONDS)
            if not self.throttles:
                return  # open, or held at the ceiling: nothing learnt to climb back from
            if (
                sent_at is not None
                and self._throttled_at - WINDOW_SECONDS < sent_at <= self._throttled_at
            ):
                self._throttled_rate += 1
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

    def _let_through(self, now: float) -> int:
        """Of this instance's calls, how many the gateway let through in the last window
        (answered with success)."""
        self._forget_answers_before(now - WINDOW_SECONDS)
        return len(self._answered)

    def _forget_answers_before(self, moment: float) -> None:
        while self._answered and self._answered[0] <= moment:
            self._answered.popleft()

    def _sending_rate(self, now: float) -> float:
        """The smoothed measured rate; at the very start, what the current bucket holds."""
        if self._measured:
            return self._measured
        return self._bucket_calls / max(MEASURE_SECONDS, now - self._bucket)
