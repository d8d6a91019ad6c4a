"""Unit tests of equity snapshots, the snapshot timer and daily equity and returns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from tradeplane.pnl.domain.equity import (
    EquitySnapshot,
    combine_daily,
    daily_equity,
    daily_returns,
    should_snapshot,
    take_snapshot,
)

NOW = datetime(2024, 1, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def snap(at: datetime, equity: str) -> EquitySnapshot:
    return EquitySnapshot(at, Decimal(equity), Decimal(0))


def test_snapshot_marks_longs_up_and_shorts_down():
    snapshot = take_snapshot(NOW, Decimal(1000), [(Decimal(2), Decimal(100)), (Decimal(-1), Decimal(50))])

    assert (snapshot.positions_value, snapshot.equity) == (150, 1150)


def test_snapshot_refuses_naive_time():
    with pytest.raises(ValueError, match="timezone"):
        take_snapshot(NOW.replace(tzinfo=None), Decimal(0), [])


def test_first_snapshot_is_always_due():
    assert should_snapshot(None, NOW, HOUR) is True


def test_snapshot_is_not_due_before_the_interval_without_change():
    assert should_snapshot(NOW, NOW + HOUR / 2, HOUR) is False


def test_snapshot_is_due_once_the_interval_has_passed():
    assert should_snapshot(NOW, NOW + HOUR, HOUR) is True


def test_snapshot_is_due_on_change_before_the_interval():
    assert should_snapshot(NOW, NOW + HOUR / 2, HOUR, changed=True) is True


def test_snapshot_round_trips_through_dict():
    snapshot = EquitySnapshot(NOW, Decimal("10.5"), Decimal("-2.25"))

    assert EquitySnapshot.from_dict(snapshot.to_dict()) == snapshot


def test_daily_equity_keeps_each_local_days_last_value():
    tokyo = ZoneInfo("Asia/Tokyo")
    # 15:30 UTC is already 00:30 on the next day in Tokyo (UTC+9).
    snaps = [snap(NOW, "100"), snap(NOW + 2 * HOUR, "105"), snap(NOW + 3.5 * HOUR, "90")]

    assert daily_equity(snaps, tokyo) == [(date(2024, 1, 1), 105), (date(2024, 1, 2), 90)]


def test_daily_equity_carries_the_last_value_over_days_without_snapshots():
    snaps = [snap(NOW + timedelta(days=2), "120"), snap(NOW, "100")]

    assert [v for _, v in daily_equity(snaps, UTC)] == [100, 100, 120]


def test_daily_returns_skip_days_after_non_positive_equity():
    days = [(date(2024, 1, d), Decimal(v)) for d, v in ((1, 100), (2, 110), (3, 0), (4, 50))]

    assert daily_returns(days) == [Decimal("0.1"), Decimal(-1)]


def test_combine_daily_sums_accounts_carrying_each_forward():
    first = [(date(2024, 1, 1), Decimal(100)), (date(2024, 1, 2), Decimal(110))]
    second = [(date(2024, 1, 2), Decimal(50)), (date(2024, 1, 3), Decimal(60))]

    assert [v for _, v in combine_daily(first, second)] == [100, 160, 170]
