"""Trend: EMA crossover on one timeframe; buy on the golden cross, sell on the death cross, once per cross."""

from __future__ import annotations

from tradeplane.contracts import OrderType, Side
from tradeplane.strategies import Fill, Timeframe, run_offline
from tradeplane.strategies.builtin.trend import Trend, TrendConfig

from .builders import T0, D, candles, driver

CONFIG = {"symbol": "BTC/USDT", "fastPeriod": 2, "slowPeriod": 4}
CLOSES = ["10", "10", "10", "10", "9", "8", "7", "12", "14", "16", "10", "6", "4"]


def test_buys_on_the_golden_cross_and_sells_on_the_death_cross_exactly_there() -> None:
    bot = driver(Trend(TrendConfig.model_validate(CONFIG)), {"USDT": "1000"})
    bot.start(T0)
    emitted: list[tuple[int, Side, str]] = []
    for index, candle in enumerate(candles(CLOSES)):
        for out in bot.candle(candle):
            for intent in out.intents:
                assert intent.type is OrderType.MARKET
                emitted.append((index, intent.side, str(intent.quantity)))
                bot.fill(
                    Fill(intent_id=intent.intent_id, quantity=intent.quantity, price=candle.close, at=T0)
                )
    # 1000 USDT / (12 * 1.01) rounded down to 8 places; the sell is all the bot holds.
    assert emitted == [(7, Side.BUY, "82.50825082"), (10, Side.SELL, "82.50825082")]


def test_no_trade_before_the_slow_average_is_warm() -> None:
    result = run_offline("trend", CONFIG, candles(["10", "20", "30"]), {"USDT": D(1000)})
    assert result.intents == []


def test_candles_of_another_timeframe_are_ignored() -> None:
    result = run_offline("trend", CONFIG, candles(CLOSES, timeframe=Timeframe.M5), {"USDT": D(1000)})
    assert result.intents == []


def test_invest_pct_spends_that_share_of_the_free_quote() -> None:
    result = run_offline("trend", {**CONFIG, "investPct": "50"}, candles(CLOSES), {"USDT": D(1000)})
    assert result.intents[0].quantity == D("41.25412541")


def test_after_a_dip_it_rides_the_uptrend_and_ends_ahead() -> None:
    closes = [str(100 - i) for i in range(20)] + [str(80 + 2 * i) for i in range(40)]
    result = run_offline(
        "trend", {**CONFIG, "fastPeriod": 5, "slowPeriod": 15}, candles(closes), {"USDT": D(1000)}
    )
    assert [i.side for i in result.intents] == [Side.BUY]
    assert result.balances["BTC"] * D(closes[-1]) + result.balances["USDT"] > 1000
