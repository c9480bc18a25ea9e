"""The errors the flow tells apart. Each carries what an operator needs to act on it."""

from __future__ import annotations

from typing import Any


class InputError(Exception):
    """The whole input cannot be used (unreadable, no rows, missing columns, …)."""

    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable  # would the same input succeed if tried again later?


class ConfigurationError(InputError):
    """A setting is missing or invalid; detected before any API call. Retryable: once the
    operator fixes it, the same event succeeds, so queued messages and asynchronous events
    go back to the platform (and its dead-letter queue) instead of being dropped."""

    def __init__(self, message: str) -> None:
        super().__init__("ConfigurationError", message, retryable=True)


class UnknownEvent(InputError):
    def __init__(self, message: str) -> None:
        super().__init__("UnknownEvent", message)


class ExportError(Exception):
    """One attempt at exporting or storing a batch failed."""

    def __init__(
        self,
        error_code: str,
        error_msg: str,
        *,
        http_status: int | None = None,
        request_id: str | None = None,
        retryable: bool = False,
        too_large: bool = False,
        fatal: bool = False,
        throttled: bool = False,
    ) -> None:
        super().__init__(f"{error_code}: {error_msg}")
        self.error_code = error_code
        self.error_msg = error_msg
        self.http_status = http_status
        self.request_id = request_id or None
        self.retryable = retryable
        self.too_large = too_large
        self.throttled = throttled  # 429 / APIGW.0308: the whole client should slow down
        # Fatal errors (refused credentials) would fail every batch the same way, and
        # repeated signature failures lock the access key for 5 minutes: stop at once.
        self.fatal = fatal


class RetryLater(Exception):
    """Raised from the handler so that an asynchronous platform retries the invocation:
    something is left that a retry can finish (throttling, 5xx, time running out). The
    outcome has already been logged, stored and notified; `answer` holds it too."""

    def __init__(self, message: str, answer: dict[str, Any]) -> None:
        super().__init__(message)
        self.answer = answer
