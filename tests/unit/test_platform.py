"""The invocation context: a remaining time that cannot be true is not trusted."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from localrun.contexts import FunctionGraphContext, LambdaContext
from sms_export.adapters.platform import describe, guarded


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
    ("reported", "trusted"), [(149_999, False), (150_000, True), (301_000, True), (301_001, False)]
)
def test_the_bounds_of_plausible(reported: int, trusted: bool) -> None:
    clock = guarded(lambda: reported, 300)
    assert (clock() == reported) is trusted


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
