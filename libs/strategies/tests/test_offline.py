"""run_offline: market intents fill at the next candle's open, limits when traded through; same
inputs, same run."""

from __future__ import annotations

from datetime import timedelta

from tradeplane.contracts import Side
from tradeplane.strategies import (
    Candle,
    Fill,
    OpenOrder,
    Strategy,
    StrategyConfig,
    StrategyContext,
    run_offline,
)

from .builders import T0, D, candles


class BuyOnce(Strategy[StrategyConfig]):
    """Buys 1 at market (or at `limit`) on the first candle; records its fills."""

    def __init__(self, limit: str | None = None) -> None:
        super().__init__(StrategyConfig())
        self.limit = None if limit is None else D(limit)
        self.fills: list[Fill] = []

    def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
        if not self.fills and not ctx.open_orders:
            ctx.buy(candle.symbol, D(1), self.limit)

    def on_fill(self, ctx: StrategyContext, fill: Fill, order: OpenOrder) -> None:
        self.fills.append(fill)


class Coin(Strategy[StrategyConfig]):
    """Buys or sells a random small amount on each candle, from the seeded source."""

    def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
        quantity = D(ctx.random.randint(1, 5)) / 10
        if ctx.random.random() < 0.5:
            ctx.buy(candle.symbol, quantity)
        else:
            ctx.sell(candle.symbol, quantity)


def test_a_market_intent_fills_at_the_next_candles_open() -> None:
    strategy = BuyOnce()
    result = run_offline(strategy, None, candles(["100", "105", "110"]), {"USDT": D(1000)})
    [fill] = result.fills
    assert (fill.price, fill.at) == (D(100), T0 + timedelta(hours=1))
    assert result.balances == {"USDT": D(900), "BTC": D(1)}


def test_a_limit_intent_waits_until_a_candle_trades_through_it() -> None:
    strategy = BuyOnce(limit="95")
    result = run_offline(strategy, None, candles(["100", "98", "94", "96"]), {"USDT": D(1000)})
    [fill] = result.fills
    assert fill.price == D(95)
    assert fill.at == T0 + timedelta(hours=2)


def test_fee_rate_is_charged_in_the_quote() -> None:
    result = run_offline(BuyOnce(), None, candles(["100", "100"]), {"USDT": D(1000)}, fee_rate=D("0.001"))
    assert result.balances["USDT"] == D("899.9")


def test_same_inputs_and_seed_give_the_same_run_and_another_seed_differs() -> None:
    series = candles([str(100 + i % 7) for i in range(40)])

    def run(seed: int) -> list[tuple[Side, D]]:
        result = run_offline(
            Coin(StrategyConfig()), None, series, {"USDT": D(10000), "BTC": D(10)}, seed=seed
        )
        return [(i.side, i.quantity) for i in result.intents]

    assert run(1) == run(1)
    assert run(1) != run(2)
