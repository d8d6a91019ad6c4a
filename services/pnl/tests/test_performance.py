"""Unit tests of trade statistics, PnL totals, period breakdowns and the performance summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

from tradeplane.pnl.domain.equity import EquitySnapshot
from tradeplane.pnl.domain.lots import Book
from tradeplane.pnl.domain.performance import (
    Period,
    PnlTotals,
    breakdown,
    performance,
    pnl_totals,
    select_trades,
    trade_stats,
)

NEW_YORK = ZoneInfo("America/New_York")


def test_trade_stats_on_wins_and_losses(make_trade):
    stats = trade_stats([make_trade(p) for p in ("30", "10", "-10", "0")])

    assert (stats.total, stats.wins, stats.losses, stats.win_rate) == (4, 2, 1, Decimal("50.00"))
    assert (stats.profit_factor, stats.average_win, stats.average_loss) == (Decimal("4.0000"), 20, -10)
    assert (stats.expectancy, stats.best, stats.worst) == (Decimal("7.5"), 30, -10)


def test_profit_factor_is_none_without_losing_trades(make_trade):
    assert trade_stats([make_trade("5")]).profit_factor is None


def test_trade_stats_of_no_trades_are_zero(make_trade):
    stats = trade_stats([])

    assert (stats.total, stats.win_rate, stats.expectancy, stats.best) == (0, 0, 0, None)


def test_daily_breakdown_splits_at_local_midnight_not_utc(make_trade):
    before = make_trade("10", exit_at=datetime(2024, 3, 10, 3, 30, tzinfo=UTC))  # 22:30 on the 9th in NY
    after = make_trade("-4", exit_at=datetime(2024, 3, 10, 5, 30, tzinfo=UTC))  # 00:30 on the 10th in NY

    rows = breakdown([before, after], Period.DAILY, NEW_YORK)

    assert [(r.start, r.pnl, r.wins, r.losses) for r in rows] == [
        (date(2024, 3, 9), 10, 1, 0),
        (date(2024, 3, 10), -4, 0, 1),
    ]


def test_weekly_breakdown_starts_on_monday(make_trade):
    sunday = make_trade("1", exit_at=datetime(2024, 3, 17, 12, tzinfo=UTC))

    assert breakdown([sunday], Period.WEEKLY, UTC)[0].start == date(2024, 3, 11)


def test_monthly_breakdown_groups_a_month_oldest_first(make_trade):
    trades = [
        make_trade(p, exit_at=datetime(2024, m, d, tzinfo=UTC))
        for p, m, d in (("2", 4, 2), ("1", 3, 5), ("3", 3, 30))
    ]

    rows = breakdown(trades, Period.MONTHLY, UTC)

    assert [(r.start, r.pnl, r.trades) for r in rows] == [(date(2024, 3, 1), 4, 2), (date(2024, 4, 1), 2, 1)]


def test_select_trades_by_account(make_trade):
    other = uuid4()
    trades = [make_trade("1"), make_trade("2", account_id=other)]

    assert [t.pnl_usd for t in select_trades(trades, account_id=other)] == [2]


def test_pnl_totals_marks_positions_and_skips_unmarked_symbols(make_fill):
    book = Book()
    book.apply(make_fill("buy", "2", "100", fee="1"))
    book.apply(make_fill("buy", "1", "10", symbol="ETH/USD"))

    totals = pnl_totals(book.positions(), {"BTC/USD": Decimal(110)})

    assert (totals.realized, totals.unrealized, totals.fees, totals.net) == (0, 20, 1, 19)


def test_performance_reports_max_drawdown_as_positive_percentage(make_trade):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    curve = [
        EquitySnapshot(start + timedelta(days=i), Decimal(v), Decimal(0))
        for i, v in enumerate((100, 80, 120, 90))
    ]

    result = performance([make_trade("5")], curve, PnlTotals(Decimal(5), Decimal(0), Decimal(0)), UTC)

    assert result.max_drawdown_pct == Decimal("25.0000")
    assert result.sharpe_ratio is not None and result.sharpe_ratio == result.sharpe_ratio.quantize(
        Decimal("0.0001")
    )
