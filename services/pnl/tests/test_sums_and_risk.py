"""Unit tests of statistics from aggregated sums, and of historical value at risk."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from tradeplane.pnl.domain.performance import TradeSums, stats_from_sums, trade_stats
from tradeplane.pnl.domain.ratios import value_at_risk

pnls = st.lists(st.decimals(min_value=-1000, max_value=1000, places=2), max_size=30)


@given(pnls, pnls)
def test_sums_of_two_accounts_give_the_stats_of_all_their_trades(first, second):
    merged = stats_from_sums(TradeSums.of(first) + TradeSums.of(second))

    assert merged == stats_from_sums(TradeSums.of(first + second))


def test_stats_from_sums_equal_stats_from_trades(make_trade):
    trades = [make_trade(p) for p in ("30", "10", "-10", "0")]

    assert stats_from_sums(TradeSums.of([t.pnl_usd for t in trades])) == trade_stats(trades)


def test_value_at_risk_is_the_loss_at_the_fifth_percentile():
    returns = [Decimal(n) / 100 for n in range(-5, 15)]  # 20 days, worst -5%

    assert value_at_risk(returns) == Decimal("0.05")


def test_value_at_risk_needs_twenty_returns():
    assert value_at_risk([Decimal("-0.1")] * 19) is None


def test_value_at_risk_is_zero_when_even_the_tail_gains():
    assert value_at_risk([Decimal("0.01")] * 20) == 0
