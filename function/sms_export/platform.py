"""What the flow needs from the invocation context, on FunctionGraph, Lambda or locally."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import SecretStr

PlatformName = Literal["functiongraph", "lambda", "local"]


@dataclass(frozen=True)
class TemporaryCredentials:
    """FunctionGraph's agency credentials; valid 24 h, so read per invocation."""

    access_key: SecretStr
    secret_key: SecretStr
    security_token: SecretStr


@dataclass(frozen=True)
class Invocation:
    platform: PlatformName
    request_id: str
    temporary_credentials: TemporaryCredentials | None = None
    project_id: str | None = None
    remaining_ms: Callable[[], int] | None = None  # None: no deadline (a local run)
    user_data: Callable[[str], str | None] | None = None  # FunctionGraph's getUserData

    def seconds_left(self) -> float | None:
        return None if self.remaining_ms is None else self.remaining_ms() / 1000


def _call(context: Any, method: str) -> str:
    getter = getattr(context, method, None)
    value = getter() if callable(getter) else None
    return str(value) if value else ""


def _remaining(context: Any, method: str) -> Callable[[], int] | None:
    getter = getattr(context, method, None)
    return (lambda: int(getter())) if callable(getter) else None


def _user_data(context: Any) -> Callable[[str], str | None] | None:
    getter = getattr(context, "getUserData", None)
    if not callable(getter):
        return None

    def read(key: str) -> str | None:
        value = getter(key)
        return str(value) if value else None

    return read


def describe(context: Any) -> Invocation:
    """Tell the platforms apart by their context's own methods (camelCase on FunctionGraph)."""
    if callable(getattr(context, "getRequestID", None)):
        keys = [
            _call(context, name)
            for name in ("getSecurityAccessKey", "getSecuritySecretKey", "getSecurityToken")
        ]
        # Without an agency the getters return empty strings.
        temporary = TemporaryCredentials(*map(SecretStr, keys)) if all(keys) else None
        return Invocation(
            "functiongraph",
            _call(context, "getRequestID") or uuid.uuid4().hex,
            temporary,
            _call(context, "getProjectID") or None,
            _remaining(context, "getRemainingTimeInMilliSeconds"),
            _user_data(context),
        )
    request_id = getattr(context, "aws_request_id", None)
    if request_id:
        return Invocation(
            "lambda",
            str(request_id),
            remaining_ms=_remaining(context, "get_remaining_time_in_millis"),
        )
    return Invocation("local", uuid.uuid4().hex)
