"""The clock: real UTC time, or the fixed instant in $SQLAQUIZ_NOW for reproducible runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from quiz.errors import UsageError

# The instants sqlaquiz works with: a clock or a date outside them (year 1, year 9999) would
# overflow when a schedule adds a century of interval or a view shows it in local time.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(3000, 1, 1, tzinfo=timezone.utc)


def in_range(dt: datetime) -> bool:
    """Whether `dt` (naive: taken as UTC) lies between EARLIEST and LATEST."""
    try:
        return EARLIEST <= utc(dt) < LATEST
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00 is past the year 9999 in UTC
        return False


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def utc(dt: datetime) -> datetime:
    """Timezone-aware UTC; naive datetimes (as SQLite returns them) are taken as UTC."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def parse_instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"SQLAQUIZ_NOW={text!r} is not an ISO 8601 date-time") from None
    if not in_range(value):
        raise UsageError(
            f"SQLAQUIZ_NOW={text!r} is out of range: use a time from {EARLIEST.year} "
            f"to {LATEST.year - 1}"
        )
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def fixed_clock(text: str | None) -> Callable[[], datetime] | None:
    """A clock that always answers the instant in `text`, or None when `text` is empty."""
    if not text:
        return None
    instant = parse_instant(text)
    return lambda: instant


def now() -> datetime:
    """The current instant, honouring $SQLAQUIZ_NOW."""
    import os

    clock = fixed_clock(os.environ.get("SQLAQUIZ_NOW"))
    return clock() if clock else utcnow()
