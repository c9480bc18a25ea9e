"""Moments as the outcome stores them and as people read them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sms_export.core.times import age, from_milliseconds, iso_utc, parse_iso, readable, readable_iso

BEIJING = timezone(timedelta(hours=8))


def test_moments_are_stored_in_utc_with_a_z_and_read_back() -> None:
    moment = datetime(2026, 12, 4, 18, 0, 5, 250_000, tzinfo=BEIJING)
    assert iso_utc(moment) == "2026-12-04T10:00:05Z"
    assert iso_utc(datetime(2026, 12, 4, 10, 0, 5)) == "2026-12-04T10:00:05Z"  # naive: UTC
    assert parse_iso("2026-12-04T10:00:05Z") == moment.replace(microsecond=0)
    assert parse_iso("2026-12-04T10:00:05") == datetime(2026, 12, 4, 10, 0, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize("text", [None, "", "yesterday", "2026-13-01T00:00:00Z"])
def test_anything_else_is_no_moment(text: str | None) -> None:
    assert parse_iso(text) is None
    assert readable_iso(text) is None


def test_people_read_a_moment_to_the_minute_in_utc() -> None:
    assert readable(datetime(2026, 12, 4, 18, 0, 59, tzinfo=BEIJING)) == "2026-12-04 10:00 UTC"
    assert readable_iso("2026-12-04T10:00:59Z") == "2026-12-04 10:00 UTC"


def test_milliseconds_no_datetime_can_hold_are_no_moment() -> None:
    assert from_milliseconds(1_764_547_200_000) == datetime(2025, 12, 1, tzinfo=timezone.utc)
    assert from_milliseconds(10**20) is None


@pytest.mark.parametrize(
    ("elapsed", "text"),
    [
        (timedelta(seconds=59), "0 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=119), "119 minutes"),
        (timedelta(hours=2), "2 hours"),
        (timedelta(hours=47, minutes=59), "47 hours"),
        (timedelta(days=2), "2 days"),
        (timedelta(days=30, hours=23), "30 days"),
    ],
)
def test_an_age_reads_in_the_largest_unit_that_is_at_least_two(
    elapsed: timedelta, text: str
) -> None:
    assert age(elapsed) == text
