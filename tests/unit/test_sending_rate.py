"""The adaptive sending rate: open until a 429, then β times the share, CUBIC back up."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from sms_export.sending_rate import BETA, MIN_RATE, SCALE, SendingRate


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def sent_at(rate: SendingRate, clock: Clock, times: list[float]) -> list[float]:
    """Ask for a slot at each time; the waits each answer gave (0: the slot was taken)."""
    waits = []
    for at in times:
        clock.now = at
        waits.append(rate.take())
    return waits


def ten_a_second(rate: SendingRate, clock: Clock) -> None:
    """Ten calls in the first second: the measured rate, smoothed, is 8 calls/s."""
    assert sent_at(rate, clock, [n / 10 for n in range(10)]) == [0.0] * 10


def test_the_rate_is_open_until_the_first_429() -> None:
    clock = Clock()
    rate = SendingRate(clock=clock)
    assert sent_at(rate, clock, [0.0] * 50) == [0.0] * 50
    rate.succeeded()
    assert rate.rate is None


def answered(rate: SendingRate, clock: Clock, sent: list[float], at: float) -> None:
    """Successes, answered at `at`, for calls sent at `sent`."""
    clock.now = at
    for moment in sent:
        rate.succeeded(sent_at=moment)


def paced(rate: SendingRate, clock: Clock) -> None:
    """Ten calls in the first second, all let through; a 429 at 1.0 s that lowers the
    rate from the open burst's share, 10 calls: the bucket is paced from then on."""
    ten_a_second(rate, clock)
    answered(rate, clock, [n / 10 for n in range(10)], at=0.95)
    clock.now = 1.0
    rate.throttled(sent_at=1.0)
    assert rate.rate == pytest.approx(10 * BETA)


def test_the_first_429_starts_from_what_the_gateway_let_through_not_what_was_sent() -> None:
    """An open pool sends as fast as answers come: 60 calls/s measured, of which the
    gateway let 20 through. Starting from what was sent (botocore's rule) would leave the
    rate above the quota; the share is what the instance can have."""
    clock = Clock()
    rate = SendingRate(clock=clock)
    burst = [n / 100 for n in range(30)]
    assert sent_at(rate, clock, burst) == [0.0] * 30
    answered(rate, clock, burst[:20], at=0.3)
    rate.throttled(sent_at=0.29)
    assert rate.rate == pytest.approx(20 * BETA)
    # The next call waits a whole interval after the throttled one.
    assert rate.take() == pytest.approx(1 / (20 * BETA))


def test_calls_of_the_burst_answered_after_the_first_429_count_in_its_share() -> None:
    """A 429 comes back at once; the calls let through are answered later (200 ms here):
    when the first 429 arrives the share looks empty, and each of them makes it one larger."""
    clock = Clock()
    rate = SendingRate(clock=clock)
    burst = [n / 100 for n in range(10)]
    sent_at(rate, clock, burst)
    clock.now = 0.1
    rate.throttled(sent_at=0.1)
    assert rate.rate == MIN_RATE  # nothing answered yet
    answered(rate, clock, burst, at=0.1)
    assert rate.rate == pytest.approx(10 * BETA)
    # A call sent after the decrease is no evidence of the share before it.
    answered(rate, clock, [0.2], at=0.1)
    assert rate.rate == pytest.approx(10 * BETA)


def test_429s_within_a_window_of_a_decrease_do_not_lower_the_rate_again() -> None:
    """The gateway's window still holds calls sent before the decrease: their successors'
    429s say nothing about the new rate. A 429 a window later does."""
    clock = Clock()
    rate = SendingRate(clock=clock)
    paced(rate, clock)
    for moment in (1.1, 1.5, 1.99):
        clock.now = moment
        rate.throttled(sent_at=moment)
        assert rate.rate == pytest.approx(10 * BETA)
    clock.now = 2.1
    rate.throttled(sent_at=2.05)
    assert rate.rate is not None
    assert rate.rate < 10 * BETA
    assert rate.throttles == 5


def test_every_decrease_starts_from_the_share_not_from_what_was_sent() -> None:
    """Sending 8 calls/s of which the gateway lets 4 through, the instance's share is 4:
    starting from the 8 it sent (botocore's rule), a fleet's instances each kept sending
    about twice their share."""
    clock = Clock()
    rate = SendingRate(ceiling=8.0, clock=clock)
    for second in range(3):
        sent = [second + n / 8 for n in range(8)]
        sent_at(rate, clock, sent)
        answered(rate, clock, sent[::2], at=second + 0.95)
        clock.now = second + 0.99
        rate.throttled(sent_at=second + 0.99)
        assert rate.rate == pytest.approx(4 * BETA)


def test_an_instance_whose_calls_were_all_refused_for_a_window_drops_to_the_floor() -> None:
    clock = Clock()
    rate = SendingRate(ceiling=8.0, clock=clock)
    sent_at(rate, clock, [n / 8 for n in range(8)])
    rate.throttled(sent_at=0.9)
    assert rate.rate == MIN_RATE


def test_successes_climb_back_along_the_cubic_curve() -> None:
    clock = Clock()
    rate = SendingRate(clock=clock)
    paced(rate, clock)  # at 1.0 s, from a share of 10 calls/s
    regain = (10.0 * (1 - BETA) / SCALE) ** (1 / 3)  # K: when the throttled rate is reached
    by_time = {}
    for step in range(1, 301):  # a call whenever a slot is due, each a success
        moment = 1.0 + step / 100
        if sent_at(rate, clock, [moment]) == [0.0]:
            rate.succeeded(sent_at=moment)
        by_time[step / 100] = rate.rate
    slow = by_time[round(regain / 2, 2)]
    assert slow is not None
    assert 10.0 * BETA < slow < 10.0
    near = by_time[round(regain, 2)]
    assert near == pytest.approx(10.0, abs=0.1)  # regained after about K seconds
    beyond = by_time[3.0]
    assert beyond is not None
    assert beyond > 15.0


def test_the_climb_stops_at_twice_the_measured_rate() -> None:
    clock = Clock()
    rate = SendingRate(clock=clock)
    ten_a_second(rate, clock)
    rate.throttled()
    # One call every two seconds after that: the measured rate falls, and so does the cap.
    for at in (3.0, 5.0, 7.0, 9.0, 30.0):
        sent_at(rate, clock, [at])
        rate.succeeded()
    assert rate.rate is not None
    assert rate.rate < 8.0


def test_the_ceiling_holds_from_the_start_and_through_every_climb() -> None:
    clock = Clock()
    rate = SendingRate(ceiling=4.0, clock=clock)
    assert sent_at(rate, clock, [0.0, 0.25, 0.5, 0.75]) == [0.0] * 4
    assert sent_at(rate, clock, [0.8]) == pytest.approx([0.2])
    rate.succeeded()
    assert rate.rate == 4.0  # successes before any 429 do not move it
    rate.throttled()
    for at in range(1, 60):
        sent_at(rate, clock, [float(at)])
        rate.succeeded()
        assert rate.rate is not None
        assert rate.rate <= 4.0


def test_of_workers_asking_at_once_one_takes_the_slot_and_the_others_book_nothing() -> None:
    clock = Clock()
    rate = SendingRate(ceiling=10.0, clock=clock)
    start = threading.Barrier(8)

    def take(_: int) -> float:
        start.wait(timeout=5)
        return rate.take()

    with ThreadPoolExecutor(8) as pool:
        waits = sorted(pool.map(take, range(8)))
    assert waits == pytest.approx([0.0] + [0.1] * 7)
    # Told to wait, they hold no slot: the next one is due a single interval later.
    assert sent_at(rate, clock, [0.1, 0.1]) == pytest.approx([0.0, 0.1])


def test_a_rate_raised_while_a_worker_waits_applies_to_it_at_once() -> None:
    """A slot booked at the old rate would keep its time: a pool of workers queued at a low
    rate would follow a raised one only seconds later."""
    clock = Clock()
    rate = SendingRate(clock=clock)
    sent_at(rate, clock, [n / 10 for n in range(10)])
    clock.now = 0.95
    rate.throttled(sent_at=0.95)  # nothing answered yet: the floor, next slot 2 s away
    assert sent_at(rate, clock, [1.0]) == pytest.approx([0.95 + 1 / MIN_RATE - 1.0])
    answered(rate, clock, [0.5, 0.6, 0.7, 0.8], at=1.0)  # the burst's calls come back
    assert rate.rate is not None
    assert rate.rate > 4 * BETA - 1e-9
    assert sent_at(rate, clock, [0.95 + 1 / rate.rate]) == [0.0]


def test_a_bursts_429s_lower_the_rate_once() -> None:
    """Calls sent before the last decrease were sent at the old rate: their 429s,
    arriving after it, say nothing new and must not cut the rate again."""
    clock = Clock()
    rate = SendingRate(clock=clock)
    paced(rate, clock)
    clock.now = 3.0
    for sent in (2.5, 2.6, 2.7):
        rate.throttled(sent_at=sent)
    lowered = rate.rate
    assert lowered is not None
    assert lowered < 10 * BETA
    clock.now = 3.2
    for sent in (2.8, 2.9, 3.1):
        rate.throttled(sent_at=sent)
    assert rate.rate == lowered
    assert rate.throttles == 7  # each counted, one decrease
