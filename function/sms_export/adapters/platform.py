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


def guarded(remaining_ms: Callable[[], int], timeout_seconds: float | None) -> Callable[[], int]:
    """The platform's remaining time, unless it is implausible against the configured
    timeout when the invocation starts: a runtime that mixes seconds and milliseconds would
    leave every batch pending (too little) or let the function be killed mid-batch (too
    much). Then the configured timeout is counted down on the function's own clock."""
    if timeout_seconds is None:
        return remaining_ms
    started = time.monotonic()
    reported, timeout_ms = remaining_ms(), timeout_seconds * 1000
    if timeout_ms / 2 <= reported <= timeout_ms + 1000:
        return remaining_ms
    log_event(
        "WARNING",
        "sms-consistency-export: implausible remaining time; using the configured timeout",
        reported_remaining_ms=reported,
        configured_timeout_seconds=timeout_seconds,
    )
    return lambda: max(0, int(timeout_ms - (time.monotonic() - started) * 1000))


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
