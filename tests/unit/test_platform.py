"""The invocation context: a remaining time that cannot be true is not trusted."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from localrun.contexts import FunctionGraphContext, LambdaContext, OtcFunctionGraphContext
from sms_export.adapters import platform
from sms_export.adapters.platform import describe, guarded
from sms_export.core.batching import Batch
from sms_export.core.ports import StoredExport
from sms_export.runner import BatchRunner
from tests.unit.test_runner import FakeClock, batches, policy


@dataclass
class SecondsForMilliseconds(FunctionGraphContext):
    """A runtime that answers getRemainingTimeInMilliSeconds in seconds."""

    def getRemainingTimeInMilliSeconds(self) -> int:  # noqa: N802
        return super().getRemainingTimeInMilliSeconds() // 1000


@dataclass
class MicrosecondsForMilliseconds(FunctionGraphContext):
    def getRemainingTimeInMilliSeconds(self) -> int:  # noqa: N802
        return super().getRemainingTimeInMilliSeconds() * 1000


@pytest.mark.parametrize("context_type", [SecondsForMilliseconds, MicrosecondsForMilliseconds])
def test_an_implausible_remaining_time_is_replaced_by_the_configured_timeout(
    context_type: type[FunctionGraphContext], capsys: pytest.CaptureFixture[str]
) -> None:
    invocation = describe(context_type(timeout_seconds=300))
    left = invocation.seconds_left()
    assert left is not None
    assert 299 <= left <= 300
    (line,) = capsys.readouterr().out.splitlines()
    warning = json.loads(line)
    assert warning["level"] == "WARNING"
    assert warning["configured_timeout_seconds"] == 300


def test_a_plausible_remaining_time_is_the_platforms_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    ticks = iter([250_000, 1_000])
    clock = guarded(lambda: next(ticks), 300)
    assert clock() == 1_000  # asked again: the platform's answer, not ours
    assert capsys.readouterr().out == ""
    assert describe(FunctionGraphContext(timeout_seconds=60)).seconds_left() == pytest.approx(
        60, abs=1
    )


@pytest.mark.parametrize(
    ("reported", "used"),
    [(149_999, 149_999), (150_000, 150_000), (301_000, 301_000), (301_001, 300_000)],
)
def test_the_bounds_of_plausible_and_the_shorter_deadline_outside(reported: int, used: int) -> None:
    """Below half the timeout the platform's shorter reading is kept; above the timeout the
    countdown of the configured timeout, shorter, is used."""
    clock = guarded(lambda: reported, 300)
    assert used - 50 <= clock() <= used


@pytest.mark.parametrize("timeout", [3, 6, 300, 900, 259_200])
def test_otc_runtime_timeout_in_milliseconds_leaves_the_right_remaining_time(
    timeout: int, capsys: pytest.CaptureFixture[str]
) -> None:
    left = describe(OtcFunctionGraphContext(timeout_seconds=timeout)).seconds_left()
    assert left is not None
    assert timeout - 1 <= left <= timeout
    assert capsys.readouterr().out == ""  # the platform's own remaining time, trusted


@dataclass
class SecondsAndMilliseconds(SecondsForMilliseconds):
    """Both getters off: the timeout in ms, the remaining time in s."""

    def getRunningTimeInSeconds(self) -> int:  # noqa: N802
        return int(self.timeout_seconds * 1000)


@pytest.mark.parametrize(
    "context_type",
    [
        FunctionGraphContext,
        OtcFunctionGraphContext,
        SecondsForMilliseconds,
        MicrosecondsForMilliseconds,
        SecondsAndMilliseconds,
    ],
)
@pytest.mark.parametrize("timeout", [3, 6, 60, 900])
def test_whichever_getter_mixes_units_the_time_left_never_outlasts_the_real_one(
    context_type: type[FunctionGraphContext], timeout: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = context_type(timeout_seconds=timeout)
    invocation = describe(context)
    # A third of the time goes by, for the platform and for the function's own clock.
    context._started -= timeout / 3
    later = time.monotonic() + timeout / 3
    monkeypatch.setattr(platform, "time", SimpleNamespace(monotonic=lambda: later))
    left = invocation.seconds_left()
    assert left is not None
    assert left <= timeout * 2 / 3 + 0.01
    if context_type is not SecondsAndMilliseconds:  # both off: too little is the safe side
        assert left >= timeout * 2 / 3 - 1.1  # live, not frozen at the start


def test_without_a_configured_timeout_there_is_nothing_to_compare() -> None:
    assert guarded(lambda: 5, None)() == 5
    lambda_context = LambdaContext(timeout_seconds=10)
    left = describe(lambda_context).seconds_left()
    assert left is not None
    assert 9 <= left <= 10


def test_the_configured_timeout_may_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    @dataclass
    class Older(SecondsForMilliseconds):
        def getRunningTimeInSeconds(self) -> int:  # noqa: N802
            return 0  # unknown

    monkeypatch.setenv("RUNTIME_TIMEOUT", "120")
    left = describe(Older(timeout_seconds=120)).seconds_left()
    assert left is not None
    assert 119 <= left <= 120


@dataclass
class OtcOnAFakeClock(OtcFunctionGraphContext):
    clock: FakeClock = field(default_factory=FakeClock)

    def getRemainingTimeInMilliSeconds(self) -> int:  # noqa: N802
        return int((self.timeout_seconds - self.clock.now) * 1000)


def test_the_runner_stops_before_the_otc_runtimes_timeout() -> None:
    clock = FakeClock()
    invocation = describe(OtcOnAFakeClock(timeout_seconds=6, clock=clock))

    def export_taking_a_second(batch: Batch) -> StoredExport:
        clock.sleep(1.0)
        return StoredExport(f"file:///{batch.start}", 10, "text/csv", None)

    results = BatchRunner(
        export_taking_a_second,
        policy(clock),
        1,
        time_left=invocation.seconds_left,
        margin_seconds=1.5,
    ).run(batches(10))
    assert clock.now < 6  # the last batch ended before the timeout
    assert [r.status for r in results].count("exported") == 5
    assert {r.error_code for r in results if r.status != "exported"} == {"DeadlineReached"}
