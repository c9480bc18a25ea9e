"""What every test needs: an environment holding only the settings it sets, and repeatable
hypothesis examples. The emulator and moto fixtures are in tests/integration/conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from sms_export.adapters import secrets
from sms_export.settings import Settings

# The same examples on every run, so that CI passes or fails on the code, not on luck;
# HYPOTHESIS_PROFILE=explore searches afresh (and keeps what fails, for replay).
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

SDK_VARIABLES = (
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_PROJECT_ID",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests see only the settings they set, fake AWS credentials, and fast retries."""
    for name in list(os.environ):
        if name.lower() in Settings.model_fields or name.upper() in SDK_VARIABLES:
            monkeypatch.delenv(name)
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
    ):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # the SDK writes an app id there
    monkeypatch.setenv("RETRY_BASE_SECONDS", "0.01")
    monkeypatch.setenv("RETRY_MAX_SECONDS", "0.05")
    monkeypatch.setenv("RETRY_THROTTLE_BASE_SECONDS", "0.01")
    monkeypatch.setenv("SMS_READ_TIMEOUT", "2")
    # A lookup per exported source would double the calls of tests about exports; the
    # tests of verdicts (and of the samples and the command line) ask for it: `verdicts`.
    monkeypatch.setenv("CONSISTENCY_SUMMARY", "false")
    # Cloud Eye is never the real one: the emulator's (tests/integration), else a port that
    # refuses.
    monkeypatch.setenv("CES_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(secrets, "_secrets", {})  # warm-start cache: one per test
