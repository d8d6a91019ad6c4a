"""Profiles: parsed from their row, cached until the row changes, defaults for what is missing or invalid."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from tradeplane.risk.adapters.repo import ProfileRow
from tradeplane.risk.profiles import DEFAULT, Profiles, parse

AT = datetime(2025, 6, 11, tzinfo=UTC)


def test_missing_profile_is_the_default():
    assert parse(None) is DEFAULT


def test_stored_limits_and_timezone_are_used():
    profile = parse(ProfileRow({"maxDailyTrades": 3}, "Asia/Tokyo", AT))
    assert (profile.limits.max_daily_trades, profile.timezone) == (3, "Asia/Tokyo")


def test_stored_limits_that_no_longer_validate_fall_back_to_defaults():
    assert parse(ProfileRow({"maxPositionPct": 101}, "UTC", AT)).limits == DEFAULT.limits


def test_unknown_stored_timezone_falls_back_to_utc():
    assert parse(ProfileRow({}, "Mars/Olympus", AT)).timezone == "UTC"


def test_cached_profile_is_reused_while_the_row_is_unchanged():
    profiles, user = Profiles(), uuid4()
    first = profiles.resolve(user, ProfileRow({"maxDailyTrades": 3}, "UTC", AT))
    assert profiles.resolve(user, ProfileRow({"maxDailyTrades": 4}, "UTC", AT)) is first


def test_changed_row_replaces_the_cached_profile():
    profiles, user = Profiles(), uuid4()
    profiles.resolve(user, ProfileRow({"maxDailyTrades": 3}, "UTC", AT))
    later = profiles.resolve(user, ProfileRow({"maxDailyTrades": 4}, "UTC", AT + timedelta(seconds=1)))
    assert later.limits.max_daily_trades == 4
