"""The adaptive sending rate: open until a 429, β times what was sent after it, CUBIC back up."""

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


def test_a_429_lowers_the_rate_to_beta_times_what_was_being_sent() -> None:
    clock = Clock()
    rate = SendingRate(clock=clock)
    ten_a_second(rate, clock)
    rate.throttled()
    assert rate.rate == pytest.approx(8.0 * BETA)
    # The next call waits a whole interval after the throttled one.
    assert rate.take() == pytest.approx(1 / (8.0 * BETA))


def test_429s_in_a_row_keep_lowering_it_but_never_below_the_minimum() -> None:
    clock = Clock()
    rate = SendingRate(clock=clock)
    ten_a_second(rate, clock)
    seen = []
    for _ in range(20):
        rate.throttled()
        seen.append(rate.rate)
    assert seen[:3] == pytest.approx([8.0 * BETA, 8.0 * BETA**2, 8.0 * BETA**3])
    assert min(r for r in seen if r is not None) == MIN_RATE


def test_successes_climb_back_along_the_cubic_curve() -> None:
    clock = Clock()
    rate = SendingRate(clock=clock)
    ten_a_second(rate, clock)
    rate.throttled()  # at 0.9 s, from 8 calls/s
    regain = (8.0 * (1 - BETA) / SCALE) ** (1 / 3)  # K: when the throttled rate is reached
    by_time = {}
    for step in range(1, 401):  # a call whenever a slot is due, each a success
        if sent_at(rate, clock, [0.9 + step / 100]) == [0.0]:
            rate.succeeded()
        by_time[step / 100] = rate.rate
    slow = by_time[0.5]
    assert slow is not None
    assert 8.0 * BETA < slow < 8.0
    near = by_time[round(regain, 2)]
    assert near == pytest.approx(8.0, abs=0.1)  # regained after about K seconds
    beyond = by_time[4.0]
    assert beyond is not None
    assert beyond > 10.0


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
    ten_a_second(rate, clock)
    rate.throttled()  # at 0.9 s: 5.6 calls/s, the next slot due at about 1.079 s
    assert sent_at(rate, clock, [0.95]) == pytest.approx([0.9 + 1 / (8.0 * BETA) - 0.95])
    rate.succeeded()  # a call of before, answered now: the climb has begun
    assert rate.rate is not None
    assert rate.rate > 8.0 * BETA
    assert sent_at(rate, clock, [0.9 + 1 / rate.rate]) == [0.0]


def test_a_bursts_429s_lower_the_rate_once() -> None:
    """Calls sent before the last decrease were sent at the old rate: their 429s,
    arriving after it, say nothing new and must not cut the rate again."""
    clock = Clock()
    rate = SendingRate(clock=clock)
    ten_a_second(rate, clock)
    in_flight = [n / 10 for n in range(10)]  # all sent before the first 429 came back
    clock.now = 1.0
    for sent in in_flight:
        rate.throttled(sent_at=sent)
    assert rate.rate == pytest.approx(8.0 * BETA)
    assert rate.throttles == 10  # each counted, one decrease
    clock.now = 1.5
    rate.throttled(sent_at=1.2)  # sent after the decrease: the new rate is too fast too
    assert rate.rate == pytest.approx(8.0 * BETA**2)
