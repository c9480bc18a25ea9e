"""The errors' shared fields, and whether each kind asks for a retry by default."""

from __future__ import annotations

import pytest

from sms_export.core.errors import (
    CallFailed,
    ConfigurationError,
    DeadlineReached,
    InputError,
    SmsExportError,
    Throttled,
    TooLarge,
    UnknownEvent,
)


@pytest.mark.parametrize(
    ("error", "code", "retryable"),
    [
        (InputError("NoRows", "empty"), "NoRows", False),
        (UnknownEvent("what is this"), "UnknownEvent", False),
        (ConfigurationError("SMS_REGION is not set"), "ConfigurationError", True),
        (CallFailed("SMS.1000", "failed"), "SMS.1000", False),
        (Throttled("APIGW.0308", "slow down", http_status=429), "APIGW.0308", True),
        (TooLarge("SMS.2004", "too large"), "SMS.2004", False),
        (DeadlineReached(4.2, 10), "DeadlineReached", True),
    ],
)
def test_each_kind_has_its_code_and_its_default_retry(
    error: SmsExportError, code: str, retryable: bool
) -> None:
    assert (error.code, error.retryable) == (code, retryable)
    assert str(error) == f"{code}: {error.message}"


def test_a_retry_said_explicitly_overrides_the_kinds_default() -> None:
    assert CallFailed("SMS.5000", "server error", retryable=True).retryable
    assert not Throttled("APIGW.0308", "slow down", retryable=False).retryable


def test_a_failed_call_keeps_its_status_and_request_id_and_drops_an_empty_one() -> None:
    failed = CallFailed("SMS.1000", "failed", http_status=400, request_id="r-1")
    assert (failed.http_status, failed.request_id) == (400, "r-1")
    assert CallFailed("SMS.1000", "failed", request_id="").request_id is None


def test_the_deadline_says_how_much_time_was_left_and_the_margin() -> None:
    assert DeadlineReached(4.2, 10).message == (
        "4 s were left before the function's timeout, under the 10 s margin"
    )
