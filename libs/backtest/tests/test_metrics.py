"""Metrics: hand-computed figures, and Sharpe, Sortino and max drawdown as empyrical computes them."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import empyrical
import numpy as np
import pytest
from tradeplane.backtest.metrics import (
    ClosedTrade,
    EquityCurve,
    Ledger,
    cagr,
    daily_returns,
    metrics,
    monthly_returns,
    sharpe_ratio,
    sortino_ratio,
)
from tradeplane.contracts import Side

T0 = datetime(2024, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def curve(values: list[str], step: timedelta = DAY) -> EquityCurve:
    equity = EquityCurve(start=T0, initial=Decimal(values[0]), steps=len(values) - 1)
    for i, value in enumerate(values[1:], start=1):
        equity.add(T0 + step * i, Decimal(value), exposed=i % 2 == 0)
    equity.finish()
    return equity


def test_drawdown_duration_exposure_and_daily_closes_of_a_curve() -> None:
    equity = curve(["100", "110", "99", "104.5", "121"])
    assert equity.worst == Decimal("0.1")  # 110 -> 99
    assert equity.longest_under == 2 * DAY  # under the 110 peak from day 1 until day 3
    assert equity.exposed == 2
    assert [v for _, v in equity.days] == [Decimal(v) for v in ("100", "110", "99", "104.5", "121")]
    closes = [Decimal(v) for v in ("100", "110", "99", "104.5", "121")]
    assert daily_returns(equity.days) == [after / before - 1 for before, after in itertools.pairwise(closes)]


def test_intraday_steps_count_for_the_drawdown_but_only_the_last_of_a_day_closes_it() -> None:
    # Steps at 08:00, 16:00, midnight (the first day's last step), then 08:00 of the second day.
    equity = curve(["100", "90", "105", "101", "103"], step=timedelta(hours=8))
    assert equity.worst == Decimal("0.1")
    assert [(at.isoformat(), str(v)) for at, v in equity.days] == [
        (T0.isoformat(), "100"),
        ((T0 + DAY).isoformat(), "101"),
        ((T0 + DAY + timedelta(hours=8)).isoformat(), "103"),
    ]


def test_cagr_compounds_over_a_year_of_365_days() -> None:
    assert cagr(Decimal(100), Decimal(120), timedelta(days=365)) == Decimal("0.2")
    two_years = cagr(Decimal(100), Decimal(121), timedelta(days=730))
    assert two_years is not None and abs(two_years - Decimal("0.1")) < Decimal("1e-20")
    assert cagr(Decimal(100), Decimal(0), timedelta(days=30)) == -1
    assert cagr(Decimal(100), Decimal(1000), timedelta(minutes=1)) is None  # too large to mean anything


def test_trade_statistics_from_closed_trades() -> None:
    def trade(pnl: str) -> ClosedTrade:
        return ClosedTrade(
            "BTC/USDT", Decimal(1), Decimal(100), Decimal(100), T0, T0, Decimal(pnl), Decimal(0)
        )

    trades = [trade("30"), trade("-10"), trade("20"), trade("-20")]
    figures = metrics(
        curve(["1000", "1020"], step=timedelta(days=365)),
        trades,
        fees=Decimal("3.5"),
        turnover=Decimal("2000"),
        fills=8,
        buy_and_hold=Decimal("0.05"),
        span=timedelta(days=365),
    )
    assert figures["winRate"] == Decimal("50.0000")
    assert figures["profitFactor"] == Decimal("1.6667")  # 50 / 30
    assert figures["expectancy"] == Decimal("5.00000000")
    assert figures["bestTrade"] == Decimal("30.00000000")
    assert figures["worstTrade"] == Decimal("-20.00000000")
    assert figures["totalTrades"] == 4
    assert figures["totalReturnPct"] == Decimal("2.0000")
    assert figures["cagr"] == Decimal("2.0000")
    assert figures["turnover"] == Decimal("2.0000")
    assert figures["buyAndHoldReturnPct"] == Decimal("5.0000")
    assert figures["calmarRatio"] is None  # no drawdown


def test_fifo_lots_close_into_trades_net_of_both_fees() -> None:
    ledger = Ledger()
    ledger.opening("BTC/USDT", Decimal("1"), Decimal("100"), T0)
    ledger.fill("BTC/USDT", Side.BUY, Decimal("1"), Decimal("110"), Decimal("0.2"), T0 + DAY)
    trade = ledger.fill("BTC/USDT", Side.SELL, Decimal("1.5"), Decimal("120"), Decimal("0.3"), T0 + 2 * DAY)
    assert trade is not None
    # 1 from the opening lot at 100 (no fee), 0.5 from the buy at 110 (half its fee).
    assert trade.entry_price == Decimal("155") / Decimal("1.5")
    assert trade.fees == Decimal("0.4")
    assert trade.pnl == Decimal("180") - Decimal("155") - Decimal("0.4")
    assert trade.entry_at == T0


def test_monthly_returns_chain_month_end_closes() -> None:
    closes = [(T0, Decimal(100)), (T0 + 31 * DAY, Decimal(110)), (T0 + 45 * DAY, Decimal(99))]
    assert monthly_returns(closes) == [
        {"month": "2024-01", "returnPct": "10.0000"},
        {"month": "2024-02", "returnPct": "-10.0000"},
    ]


@pytest.mark.parametrize("seed", range(5))
def test_sharpe_sortino_and_max_drawdown_agree_with_empyrical(seed: int) -> None:
    rng = random.Random(seed)
    values = [Decimal(10_000)]
    for _ in range(120):
        values.append(values[-1] * (1 + Decimal(rng.randint(-300, 320)) / 10_000))
    closes = [(T0 + DAY * i, v) for i, v in enumerate(values)]
    returns = daily_returns(closes)
    floats = np.array([float(r) for r in returns])

    sharpe = sharpe_ratio(returns)
    sortino = sortino_ratio(returns)
    assert sharpe is not None and sortino is not None
    assert float(sharpe) == pytest.approx(empyrical.sharpe_ratio(floats, annualization=365), rel=1e-9)
    assert float(sortino) == pytest.approx(empyrical.sortino_ratio(floats, annualization=365), rel=1e-9)
    # The curve's drawdown, stepping through the same values (here one a day, as empyrical sees them).
    assert float(-curve([str(v) for v in values]).worst) == pytest.approx(
        empyrical.max_drawdown(floats), rel=1e-9
    )


def test_ratios_need_two_returns_and_some_spread() -> None:
    assert sharpe_ratio([Decimal("0.01")]) is None
    assert sharpe_ratio([Decimal("0.01"), Decimal("0.01")]) is None
    assert sortino_ratio([Decimal("0.01"), Decimal("0.02")]) is None  # no losing day
