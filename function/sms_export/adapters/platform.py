"""What the flow needs from the invocation context, on FunctionGraph, Lambda or locally."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import SecretStr

from sms_export.adapters.logs import log_event
from sms_export.core.models import HuaweiCredentials

PlatformName = Literal["functiongraph", "lambda", "local"]


@dataclass(frozen=True)
class Invocation:
    platform: PlatformName
    request_id: str
    temporary_credentials: HuaweiCredentials | None = None  # FunctionGraph's agency's
    project_id: str | None = None
    remaining_ms: Callable[[], int] | None = None  # None: no deadline (a local run)
    user_data: Callable[[str], str | None] | None = None  # FunctionGraph's getUserData
    function_name: str = "sms-consistency-export"  # the deployed function's own name

    def seconds_left(self) -> float | None:
        return None if self.remaining_ms is None else self.remaining_ms() / 1000


def _call(context: Any, method: str) -> str:
    getter = getattr(context, method, None)
    value = getter() if callable(getter) else None
    return str(value) if value else ""


def _remaining(context: Any, method: str) -> Callable[[], int] | None:
    getter = getattr(context, method, None)
    return (lambda: int(getter())) if callable(getter) else None


def _configured_timeout(context: Any) -> float | None:
    """FunctionGraph's configured timeout, in seconds (the context's, else RUNTIME_TIMEOUT)."""
    getter = getattr(context, "getRunningTimeInSeconds", None)
    for value in (getter() if callable(getter) else None, os.environ.get("RUNTIME_TIMEOUT")):
        try:
            seconds = float(value) if value not in (None, "") else 0.0
        except (TypeError, ValueError):
            continue
        if seconds > 0:
            return seconds
    return None


# FunctionGraph's timeout is 3 s to 72 h (platforms.md, "Function timeout setting"): a
# reading outside, in whichever unit, is not the timeout in that unit.
TIMEOUT_MS_RANGE = (3_000, 259_200_000)


def guarded(remaining_ms: Callable[[], int], timeout_seconds: float | None) -> Callable[[], int]:
    """The time left, read so that the function never runs past its real deadline when a
    runtime mixes seconds and milliseconds. OTC's community runtime answers
    getRunningTimeInSeconds in milliseconds (fleet-and-quotas.md §4.6): read as seconds, a 6 s
    timeout was 6,000 s, the right remaining time was called implausible, and the function
    ran 784 s past its timeout.

    Each reading is taken in both units, and the remaining time is believed in the unit in
    which it agrees with the timeout at the start (between half of it and all of it, plus a
    second of rounding). Milliseconds, the getter's own unit, are tried first: they are the
    shorter deadline, and a right remaining time is kept live, never replaced. Where nothing
    agrees, the shorter of the platform's remaining time and a countdown of the shortest
    plausible timeout is used: a batch left pending is retried, a function killed mid-batch
    loses its whole outcome."""
    if timeout_seconds is None:
        return remaining_ms
    low, high = TIMEOUT_MS_RANGE
    timeouts = [ms for ms in (timeout_seconds * 1000, timeout_seconds) if low <= ms <= high]
    if not timeouts:
        return remaining_ms
    started = time.monotonic()
    reported = remaining_ms()

    def agrees(left_ms: float, timeout_ms: float) -> bool:
        return timeout_ms / 2 <= left_ms <= timeout_ms + 1000

    if any(agrees(reported, timeout_ms) for timeout_ms in timeouts):
        return remaining_ms
    # In seconds only against the timeout read as seconds, as documented: two getters both
    # off by the same factor would otherwise agree on a deadline a thousand times too far.
    scaled = timeout_seconds * 1000 in timeouts and agrees(reported * 1000, timeout_seconds * 1000)
    shortest = min(timeouts)
    log_event(
        "WARNING",
        "sms-consistency-export: the remaining time disagrees with the configured timeout; "
        + ("reading it in seconds" if scaled else "using the shorter of the two"),
        reported_remaining_ms=reported,
        configured_timeout_seconds=timeout_seconds,
    )
    if scaled:
        return lambda: remaining_ms() * 1000
    return lambda: min(remaining_ms(), int(shortest - (time.monotonic() - started) * 1000))


def _user_data(context: Any) -> Callable[[str], str | None] | None:
    getter = getattr(context, "getUserData", None)
    if not callable(getter):
        return None

    def read(key: str) -> str | None:
        value = getter(key)
        return str(value) if value else None

    return read


def _guarded_remaining(context: Any) -> Callable[[], int] | None:
    remaining = _remaining(context, "getRemainingTimeInMilliSeconds")
    return None if remaining is None else guarded(remaining, _configured_timeout(context))


def describe(context: Any) -> Invocation:
    """Tell the platforms apart by their context's own methods (camelCase on FunctionGraph)."""
    if callable(getattr(context, "getRequestID", None)):
        keys = [
            _call(context, name)
            for name in ("getSecurityAccessKey", "getSecuritySecretKey", "getSecurityToken")
        ]
        # Without an agency the getters return empty strings.
        access_key, secret_key, token = map(SecretStr, keys)
        temporary = (
            HuaweiCredentials(access_key, secret_key, token, source="FunctionGraph agency")
            if all(keys)
            else None
        )
        return Invocation(
            "functiongraph",
            _call(context, "getRequestID") or uuid.uuid4().hex,
            temporary,
            _call(context, "getProjectID") or None,
            _guarded_remaining(context),
            _user_data(context),
            _call(context, "getFunctionName") or Invocation.function_name,
        )
    request_id = getattr(context, "aws_request_id", None)
    if request_id:
        return Invocation(
            "lambda",
            str(request_id),
            remaining_ms=_remaining(context, "get_remaining_time_in_millis"),
            function_name=str(getattr(context, "function_name", "") or Invocation.function_name),
        )
    return Invocation("local", uuid.uuid4().hex)
