"""No lookahead: a strategy sees a candle only once it closed, and nothing fills on a price it had not
been able to see when it sent the order."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tradeplane.backtest import Backtest, Dataset, Period
from tradeplane.strategies.builtin.grid import Grid, GridConfig
from tradeplane.strategies.candles import Candle, Timeframe
from tradeplane.strategies.context import OpenOrder, StrategyContext
from tradeplane.strategies.intents import Fill

from .builders import GRID, MINUTE, T0, candles, request, run


class Peeker(Grid):
    """Buys all-in after an up candle and sells after a down one: with the candle's own move known
    before it happened, this would win every time on the data below."""

    def __init__(self) -> None:
        super().__init__(GridConfig.model_validate(GRID))
        self.events: list[tuple[str, datetime, datetime]] = []

    def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
        self.events.append(("candle", ctx.now, candle.closes_at))
        if candle.close > candle.open and ctx.free("USDT") > 1000:
            ctx.buy(candle.symbol, Decimal("0.1"))
        elif candle.close < candle.open and ctx.free("BTC") >= Decimal("0.1"):
            ctx.sell(candle.symbol, Decimal("0.1"))

    def on_fill(self, ctx: StrategyContext, fill: Fill, order: OpenOrder) -> None:
        self.events.append(("fill", ctx.now, fill.at))


# Up from 60000 to 66000, back down to 60000, five times.
SEESAW = candles(
    [("60000.00", "66000.00", "60000.00", "66000.00"), ("66000.00", "66000.00", "60000.00", "60000.00")] * 5
)


def test_a_strategy_that_would_profit_from_peeking_loses_on_what_it_could_see() -> None:
    peeker = Peeker()
    result = run(SEESAW, strategy=peeker, balances={"USDT": "100000"}).to_json()

    # It buys at the close of each up candle (66000) and sells at the close of the down one (60000).
    fills = [(f["side"], f["price"]) for f in result["fills"]]
    assert fills == [("Buy", "66000.00"), ("Sell", "60000.00")] * 5
    assert Decimal(result["metrics"]["totalReturnPct"]) < -2
    assert result["metrics"]["winRate"] == "0.0000"


def test_each_candle_is_seen_at_its_close_and_fills_come_no_earlier_than_the_order() -> None:
    peeker = Peeker()
    result = run(SEESAW, strategy=peeker, balances={"USDT": "100000"}).to_json()

    seen = [(now, closes) for kind, now, closes in peeker.events if kind == "candle"]
    assert seen == [(c.closes_at, c.closes_at) for c in SEESAW]
    # A market order sent at a close fills at that moment, against that close, never before.
    for fill in result["fills"]:
        at = datetime.fromisoformat(fill["t"])
        assert (at - T0) % MINUTE == MINUTE * 0
        assert at >= T0 + MINUTE


def test_fills_from_a_candles_path_reach_the_strategy_before_that_candle_does() -> None:
    # The grid's buy at 60000 fills inside the second candle: the strategy hears of the fill
    # (at the low tick) before it is shown the candle, at its close.
    rows = candles([("61000", "61000", "61000", "61000"), ("61000", "61500", "59900", "60500")])
    events: list[str] = []

    class Watch(Grid):
        def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
            events.append(f"candle {candle.t:%H:%M}")
            super().on_candle(ctx, candle)

        def on_fill(self, ctx: StrategyContext, fill: Fill, order: OpenOrder) -> None:
            events.append(f"fill {fill.at:%H:%M:%S}")
            super().on_fill(ctx, fill, order)

    run(rows, strategy=Watch(GridConfig.model_validate(GRID)))
    assert events == ["candle 00:00", "fill 00:01:30", "candle 00:01"]


class CrossMarket(Grid):
    """At the second BTC close, bids for ETH at 3000."""

    def __init__(self) -> None:
        super().__init__(GridConfig.model_validate(GRID))

    def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
        if candle.symbol == "BTC/USDT" and candle.t == T0 + MINUTE:
            ctx.buy("ETH/USDT", Decimal("0.01"), Decimal("3000"))


def test_orders_sent_at_a_close_do_not_fill_in_another_markets_path_of_the_same_minute() -> None:
    btc = candles([("61000", "61000", "61000", "61000")] * 3)
    # ETH dips below 3000 only inside the second minute, at whose close (BTC's) the strategy bids:
    # that dip is over before the bid, so the bid never fills.
    flat = ("3100", "3100", "3100", "3100")
    eth = candles([flat, ("3100", "3100", "2990", "3100"), flat], symbol="ETH/USDT")
    rows = sorted([*btc, *eth], key=lambda c: (c.t, c.symbol))
    period = Period(Timeframe.M1, T0, T0 + 3 * MINUTE)
    data = Dataset("test:two-markets", ("BTC/USDT", "ETH/USDT"), period, lambda: iter(rows))
    req = request(3, balances={"USDT": "10000"}, symbols=["BTC/USDT", "ETH/USDT"])

    result = Backtest(req, data, strategy=CrossMarket()).run().to_json()
    assert result["fills"] == []
    assert result["openOrders"] == 1
