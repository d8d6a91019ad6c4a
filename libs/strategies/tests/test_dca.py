"""DCA: a ladder of buys on price drops or intervals, sold whole at the take-profit or stop-loss."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tradeplane.contracts import OrderType, Side
from tradeplane.strategies import Candle, Fill, Intent, StrategyDriver, run_offline
from tradeplane.strategies.builtin.dca import Dca, DcaConfig

from .builders import T0, D, candles, driver

CONFIG = {
    "symbol": "BTC/USDT",
    "orderQuote": "101",
    "maxOrders": 3,
    "priceDropPct": "5",
    "takeProfitPct": "2",
    "stopLossPct": "10",
}


def started(config: dict[str, Any] = CONFIG) -> StrategyDriver:
    bot = driver(Dca(DcaConfig.model_validate(config)), {"USDT": "1000"})
    bot.start(T0)
    return bot


def rungs(bot: StrategyDriver) -> int:
    assert isinstance(bot.strategy, Dca)
    return bot.strategy.rungs


def feed(bot: StrategyDriver, candle: Candle) -> list[Intent]:
    """Feed one candle and fill whatever it sent at its close."""
    intents = [i for out in bot.candle(candle) for i in out.intents]
    for intent in intents:
        bot.fill(
            Fill(
                intent_id=intent.intent_id, quantity=intent.quantity, price=candle.close, at=candle.closes_at
            )
        )
    return intents


def sent(intents: list[Intent]) -> list[tuple[Side, str]]:
    assert all(i.type is OrderType.MARKET for i in intents)
    return [(i.side, str(i.quantity)) for i in intents]


def test_first_candle_buys_the_first_rung_with_the_order_quote() -> None:
    bot = started()
    assert sent(feed(bot, candles(["100"])[0])) == [(Side.BUY, "1")]


def test_a_drop_of_the_configured_size_below_the_last_buy_buys_the_next_rung() -> None:
    bot = started()
    first, small, big = candles(["100", "96", "95"])
    feed(bot, first)
    assert feed(bot, small) == []
    assert sent(feed(bot, big)) == [(Side.BUY, "1.05263157")]


def test_the_ladder_stops_at_max_orders() -> None:
    bot = started({**CONFIG, "stopLossPct": None})
    bought = [sent(feed(bot, c)) for c in candles(["100", "95", "90", "85"])]
    assert [len(b) for b in bought] == [1, 1, 1, 0]
    assert rungs(bot) == 3


def test_take_profit_sells_the_whole_position_and_restarts_the_ladder() -> None:
    bot = started()
    first, up, after = candles(["100", "102", "102"])
    feed(bot, first)
    assert sent(feed(bot, up)) == [(Side.SELL, "1")]
    assert rungs(bot) == 0
    assert sent(feed(bot, after)) == [(Side.BUY, "0.98039215")]


def test_stop_loss_sells_below_the_average_entry() -> None:
    bot = started({**CONFIG, "maxOrders": 1})
    first, down = candles(["100", "90"])
    feed(bot, first)
    assert sent(feed(bot, down)) == [(Side.SELL, "1")]


def test_interval_rungs_come_from_the_timer() -> None:
    bot = started({"symbol": "BTC/USDT", "orderQuote": "101", "intervalSeconds": 3600})
    feed(bot, candles(["100"])[0])
    [timer] = bot.advance(T0 + timedelta(hours=2))
    assert sent(timer.intents) == [(Side.BUY, "1")]


def test_on_an_uptrend_it_takes_profit_repeatedly() -> None:
    closes = [str(100 + i) for i in range(10)]
    result = run_offline("dca", CONFIG, candles(closes), {"USDT": D(1000)})
    assert sent(result.intents) == [
        (Side.BUY, "1"),
        (Side.SELL, "1"),
        (Side.BUY, "0.97087378"),
        (Side.SELL, "0.97087378"),
        (Side.BUY, "0.93457943"),
    ]
    assert result.balances == {"USDT": D("904.91262233"), "BTC": D("0.93457943")}
