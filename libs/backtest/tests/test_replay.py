"""Tick replay: recorded tickers and candles, in bus order, through the strategy and the paper matching."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.backtest.replay import Event, replay_ticks
from tradeplane.paper.book import PaperSettings
from tradeplane.paper.feed import Tick

from .builders import MINUTE, T0, candles, request

SPREAD = Decimal("0.01")


def tick(last: str, seconds: int) -> Tick:
    price = Decimal(last)
    return Tick("BTC/USDT", price - SPREAD, price + SPREAD, price, T0 + MINUTE + MINUTE * seconds / 60)


def test_tickers_fill_the_grid_in_bus_order_and_the_answers_meet_the_same_ticker() -> None:
    # The grid (60000 / 61000 / 62000, 0.01 each) sees a close of 61000 and places a buy at 60000.
    (candle,) = candles([("61000", "61000", "61000", "61000")])
    ticks = [tick("61000", 0), tick("59990", 1), tick("61500", 2), tick("61000", 3)]
    events: list[Event] = [ticks[0], candle, *ticks[1:]]

    result = replay_ticks(request(2), events).to_json()

    fills = [(f["side"], f["quantity"], f["price"], f["fee"], f["liquidity"]) for f in result["fills"]]
    # The buy fills as maker on the 59990 ticker (ask 59990.01); the sell it answers with rests at
    # 61000 (the bid is below it) and fills on the 61500 ticker, as maker at its limit.
    assert fills == [
        ("Buy", "0.01", "60000", "0.60000", "maker"),
        ("Sell", "0.01", "61000", "0.61000", "maker"),
    ]
    assert [f["t"] for f in result["fills"]] == [ticks[1].at.isoformat(), ticks[2].at.isoformat()]


def test_liquidity_per_tick_splits_a_fill_over_the_following_tickers() -> None:
    (candle,) = candles([("61000", "61000", "61000", "61000")])
    events: list[Event] = [tick("61000", 0), candle, tick("59990", 1), tick("59990", 2)]

    result = replay_ticks(request(2), events, settings=PaperSettings(liquidity_per_tick=Decimal("300")))

    quantities = [(f["side"], f["quantity"], f["price"]) for f in result.to_json()["fills"]]
    # 300 USDT of 60000 a ticker: 0.005 each.
    assert quantities == [("Buy", "0.005", "60000"), ("Buy", "0.005", "60000")]
