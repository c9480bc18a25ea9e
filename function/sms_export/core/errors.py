"""The errors the flow tells apart: one root, the same three fields everywhere.

    SmsExportError            code, message, retryable
    ├── InputError            the whole input cannot be used (unreadable, no rows, …)
    │   └── UnknownEvent
    ├── ConfigurationError    a setting is missing or invalid
    └── CallFailed            one call failed (SMS API, storage write): http_status, request_id
        ├── Throttled         429 / APIGW.0308: the whole client should slow down
        ├── TooLarge          SMS.2004 / 413: the request should be halved
        ├── CredentialsRefused  every call would fail the same way: stop at once
        └── DeadlineReached   too little time left to start one

`RetryLater` is not a failure but the handler's signal to an asynchronous platform.
"""

from __future__ import annotations

from typing import Any


class SmsExportError(Exception):
    """Something an operator has to know about, with what they need to act on it."""

    default_retryable = False

    def __init__(self, code: str, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        # Would the same work succeed if tried again later?
        self.retryable = self.default_retryable if retryable is None else retryable


class InputError(SmsExportError):
    """The whole input cannot be used (unreadable, no rows, missing columns, …)."""


class UnknownEvent(InputError):
    def __init__(self, message: str) -> None:
        super().__init__("UnknownEvent", message)


class ConfigurationError(SmsExportError):
    """A setting is missing or invalid; detected before any API call. Retryable: once the
    operator fixes it, the same event succeeds, so queued messages and asynchronous events
    go back to the platform (and its dead-letter queue) instead of being dropped."""

    default_retryable = True

    def __init__(self, message: str) -> None:
        super().__init__("ConfigurationError", message)


class CallFailed(SmsExportError):
    """One attempt at a call (an export, a listing, a storage write) failed."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(code, message, retryable=retryable)
        self.http_status = http_status
        self.request_id = request_id or None


class Throttled(CallFailed):
    """The API throttles the client, not one request: the whole pool pauses."""

    default_retryable = True


class TooLarge(CallFailed):
    """The API found the request too large: it is halved and each half sent."""


class CredentialsRefused(CallFailed):
    """Refused signatures would fail every batch the same way, and repeated failures lock
    the access key for 5 minutes: no batch is started after one."""


class DeadlineReached(CallFailed):
    """Too little time is left before the function's timeout to start (or retry) a call."""

    default_retryable = True

    def __init__(self, left: float, margin: float) -> None:
        super().__init__(
            "DeadlineReached",
            f"{left:.0f} s were left before the function's timeout, under the {margin:.0f} s "
            "margin",
        )


class RetryLater(Exception):
    """Raised from the handler so that an asynchronous platform retries the invocation:
    something is left that a retry can finish (throttling, 5xx, time running out). The
    outcome has already been logged, stored and notified; `answer` holds it too."""

    def __init__(self, message: str, answer: dict[str, Any]) -> None:
        super().__init__(message)
        self.answer = answer
