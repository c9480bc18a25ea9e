"""Moments as the outcome writes them (ISO 8601, UTC, `Z`) and as people read them (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def iso_utc(moment: datetime) -> str:
    """ISO 8601 to the second, in UTC, ending in `Z` (a naive moment is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def from_milliseconds(milliseconds: int) -> datetime | None:
    """A moment given in milliseconds since 1970; None when no datetime can hold it."""
    try:
        return datetime.fromtimestamp(milliseconds / 1000, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def parse_iso(text: str | None) -> datetime | None:
    """An ISO 8601 moment as stored (`Z` included, which Python 3.10 cannot read itself);
    None for anything else, as an outcome written by hand or by an older version may hold."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def readable(moment: datetime) -> str:
    """`2026-12-04 10:00 UTC`: to the minute, which is what a person compares runs by."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def readable_iso(text: str | None) -> str | None:
    moment = parse_iso(text)
    return readable(moment) if moment is not None else None


def age(elapsed: timedelta) -> str:
    """`40 minutes`, `5 hours`, `30 days`: the largest unit that still reads as a whole
    number of at least two, so that an age is never rounded down to `0 days`."""
    minutes = int(elapsed.total_seconds() // 60)
    hours, days = minutes // 60, minutes // (24 * 60)
    if days >= 2:
        return f"{days} days"
    if hours >= 2:
        return f"{hours} hours"
    return f"{minutes} minute" + ("" if minutes == 1 else "s")
