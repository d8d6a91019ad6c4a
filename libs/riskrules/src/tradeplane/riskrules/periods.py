"""Calendar arithmetic in a user's timezone: their trading day, ISO week and when each ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def user_zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; a ValueError names it when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def require_aware(moment: datetime) -> datetime:
    """`moment` itself, refusing naive datetimes (they would be read in the machine's zone)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    return moment


def local_day(now: datetime, tz: tzinfo) -> date:
    """The calendar date `now` falls on for a user in `tz`."""
    return require_aware(now).astimezone(tz).date()


def week_start(day: date) -> date:
    """The Monday that starts the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def start_of(day: date, tz: tzinfo) -> datetime:
    """The UTC instant at which `day` begins in `tz`."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def next_day_start(now: datetime, tz: tzinfo) -> datetime:
    """The UTC instant at which the user's next day begins."""
    return start_of(local_day(now, tz) + timedelta(days=1), tz)


def next_week_start(now: datetime, tz: tzinfo) -> datetime:
    """The UTC instant at which the user's next ISO week (Monday) begins."""
    return start_of(week_start(local_day(now, tz)) + timedelta(weeks=1), tz)
