"""Rebalancer: trades back to target weights past the drift threshold, sells before buys, within its
allocation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tradeplane.contracts import OrderType, Side
from tradeplane.strategies import Fill, Market, StrategyContext, StrategyDriver, build, run_offline
from tradeplane.strategies.builtin.rebalancer import Rebalancer, RebalancerConfig

from .builders import BOT, T0, D, candles, uptrend

HALF = {"targets": {"BTC": "0.5", "USDT": "0.5"}, "intervalSeconds": 3600, "driftThresholdPct": "5"}


def bot(
    balances: dict[str, str], config: dict[str, object] = HALF, markets: list[Market] | None = None
) -> StrategyDriver:
    ctx = StrategyContext(
        BOT, {k: D(v) for k, v in balances.items()}, now=T0, markets={m.symbol: m for m in markets or []}
    )
    driver = StrategyDriver(Rebalancer(RebalancerConfig.model_validate(config)), ctx)
    driver.start(T0)
    return driver


def test_first_timer_without_prices_waits_and_logs_why() -> None:
    driver = StrategyDriver(
        Rebalancer(RebalancerConfig.model_validate(HALF)), StrategyContext(BOT, {"USDT": D(1)}, now=T0)
    )
    [_, timer] = driver.start(T0)
    assert timer.trigger == "timer:rebalance"
    assert timer.intents == []
    assert timer.logs[0].message == "rebalance skipped: no price yet"


def test_all_quote_allocation_buys_half_in_btc_on_the_timer() -> None:
    driver = bot({"USDT": "10000"})
    [candle, timer] = driver.candle(candles(["100"])[0])
    assert candle.intents == []
    [intent] = timer.intents
    assert (intent.side, intent.type, intent.symbol, intent.quantity, intent.price) == (
        Side.BUY,
        OrderType.MARKET,
        "BTC/USDT",
        D(50),
        None,
    )
    assert timer.logs[0].data["driftPct"] == "50.0"


def test_within_the_threshold_nothing_is_sent() -> None:
    driver = bot({"BTC": "50", "USDT": "5200"})
    [_, timer] = driver.candle(candles(["100"])[0])
    assert timer.intents == []
    assert timer.logs[0].message == "within the drift threshold: nothing to do"


def test_sells_go_first_and_buys_wait_for_their_proceeds() -> None:
    config = {
        "targets": {"BTC": "0.5", "ETH": "0.5", "USDT": "0"},
        "intervalSeconds": 86400,
        "driftThresholdPct": "5",
    }
    driver = bot({"BTC": "10", "USDT": "0"}, config)
    driver.candle(candles(["100"])[0])
    driver.candle(candles(["50"], symbol="ETH/USDT")[0])
    run = driver.run_now(T0 + timedelta(hours=1))
    assert [(i.side, i.symbol, i.quantity) for i in run.intents] == [(Side.SELL, "BTC/USDT", D(5))]
    follow_up = driver.fill(Fill(intent_id=run.intents[0].intent_id, quantity=D(5), price=D(100), at=T0))
    assert follow_up is not None
    assert [(i.side, i.symbol, i.quantity) for i in follow_up.intents] == [
        (Side.BUY, "ETH/USDT", D("9.90099009"))
    ]


def test_orders_below_the_market_minimums_are_skipped() -> None:
    driver = bot({"USDT": "10000"}, markets=[Market(symbol="BTC/USDT", min_notional=D(6000))])
    [_, timer] = driver.candle(candles(["100"])[0])
    assert timer.intents == []
    assert timer.logs[-1].message == "order below the market minimums: skipped"


def test_manual_run_while_the_last_rebalance_is_open_does_nothing() -> None:
    driver = bot({"USDT": "10000"})
    driver.candle(candles(["100"])[0])
    run = driver.run_now(T0 + timedelta(hours=1, minutes=5))
    assert run.intents == []
    assert run.logs[0].message == "rebalance skipped: the previous one is still open"


def test_a_new_interval_reschedules_the_timer() -> None:
    driver = bot({"USDT": "10000"})
    new = RebalancerConfig.model_validate({**HALF, "intervalSeconds": 600})
    driver.strategy.update_config(driver.ctx, new)
    assert driver.ctx.next_timer() == T0 + timedelta(minutes=10)


def test_on_an_uptrend_it_buys_once_then_sells_the_gains_back_to_target() -> None:
    result = run_offline("rebalancer", HALF, candles(uptrend(60, start=100, step=2)), {"USDT": D(10000)})
    assert [(i.side, i.quantity) for i in result.intents] == [
        (Side.BUY, D(50)),
        (Side.SELL, D("4.83870967")),
        (Side.SELL, D("4.15959253")),
        (Side.SELL, D("3.74746700")),
    ]
    btc_value = result.balances["BTC"] * D(218)
    weight = btc_value / (btc_value + result.balances["USDT"])
    assert abs(weight - Decimal("0.5")) * 100 <= 5


def test_config_round_trips_through_build() -> None:
    assert isinstance(build("rebalancer", HALF), Rebalancer)
