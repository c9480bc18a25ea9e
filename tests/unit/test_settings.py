"""The verdict settings: IGNORE_DIRECTORIES as a list of patterns, MAX_CHECK_AGE_HOURS."""

from __future__ import annotations

import pytest

from sms_export.core.errors import ConfigurationError
from sms_export.settings import Settings


@pytest.fixture(autouse=True)
def _unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IGNORE_DIRECTORIES", "MAX_CHECK_AGE_HOURS"):
        monkeypatch.delenv(name, raising=False)


def test_by_default_nothing_is_ignored_and_no_check_is_too_old() -> None:
    settings = Settings.load()
    assert (settings.ignore_directories, settings.max_check_age_hours) == ((), 0)


@pytest.mark.parametrize(
    ("given", "patterns"),
    [
        ("/var/log", ("/var/log",)),
        (" /var/log , /opt/SMS-Agent*,", ("/var/log", "/opt/SMS-Agent*")),
        (" , ", ()),
    ],
)
def test_ignore_directories_is_a_comma_separated_list_of_patterns(
    given: str, patterns: tuple[str, ...]
) -> None:
    assert Settings.load(overrides={"IGNORE_DIRECTORIES": given}).ignore_directories == patterns


def test_the_environment_sets_them_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IGNORE_DIRECTORIES", "/var/log")
    monkeypatch.setenv("MAX_CHECK_AGE_HOURS", "1.5")
    settings = Settings.load()
    assert (settings.ignore_directories, settings.max_check_age_hours) == (("/var/log",), 1.5)


@pytest.mark.parametrize("given", ["-1", "a day"])
def test_a_negative_or_unreadable_age_is_a_configuration_error(given: str) -> None:
    with pytest.raises(ConfigurationError, match="MAX_CHECK_AGE_HOURS"):
        Settings.load(overrides={"MAX_CHECK_AGE_HOURS": given})
