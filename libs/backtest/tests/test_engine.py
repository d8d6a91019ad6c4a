"""The engine on hand-made candles: exact fills, fees, trades and metrics; intrabar order; risk caps."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.strategies.builtin.grid import Grid, GridConfig
from tradeplane.strategies.candles import Candle
from tradeplane.strategies.context import StrategyContext

from .builders import GRID, MINUTE, T0, candles, run

# The grid (60000 / 61000 / 62000, 0.01 each) sees the first close, 61000: it leaves that level
# empty, places a buy at 60000 and skips the sell at 62000 (it holds no BTC).
ROUND_TRIP = candles(
    [
        ("61000", "61000", "61000", "61000"),
        # Open nearer the high: adaptive walks open, high, low, close; the low tick fills the buy.
        ("61000", "61500", "59900", "60500"),
        # Open nearer the low: open, low, high, close; the high tick fills the sell placed after the buy.
        ("60500", "61200", "60400", "61100"),
    ]
)


def test_a_grid_round_trip_fills_as_maker_at_the_limits_with_the_paper_fees() -> None:
    result = run(ROUND_TRIP).to_json()

    fills = [
        (f["t"], f["side"], f["quantity"], f["price"], f["fee"], f["liquidity"]) for f in result["fills"]
    ]
    assert fills == [
        ((T0 + MINUTE + MINUTE / 2).isoformat(), "Buy", "0.01", "60000", "0.60000", "maker"),
        ((T0 + 2 * MINUTE + MINUTE / 2).isoformat(), "Sell", "0.01", "61000", "0.61000", "maker"),
    ]
    # 0.01 x (61000 - 60000) less 0.60 and 0.61 of maker fees (0.1%).
    assert result["trades"] == [
        {
            "symbol": "BTC/USDT",
            "quantity": "0.01",
            "entryPrice": "60000.00000000",
            "exitPrice": "61000",
            "entryAt": (T0 + MINUTE + MINUTE / 2).isoformat(),
            "exitAt": (T0 + 2 * MINUTE + MINUTE / 2).isoformat(),
            "pnl": "8.79000000",
            "returnPct": "1.4650",
            "fees": "1.21000000",
        }
    ]
    assert result["finalBalances"] == {"BTC": "0.00", "USDT": "10008.79000"}
    metrics = result["metrics"]
    assert metrics["initialEquity"] == "10000.00000000"
    assert metrics["finalEquity"] == "10008.79000000"
    assert metrics["totalReturnPct"] == "0.0879"
    assert metrics["fees"] == "1.21000000"
    assert metrics["totalTrades"] == 1
    assert metrics["totalFills"] == 2
    assert metrics["winRate"] == "100.0000"
    assert metrics["profitFactor"] is None  # no losing trade
    assert metrics["expectancy"] == "8.79000000"
    assert metrics["buyAndHoldReturnPct"] == "0.1639"  # 61100 / 61000 - 1
    # Holding BTC only at the second candle's close, of three steps.
    assert metrics["exposurePct"] == "33.3333"
    # Equity at each close: 10000, 10004.40 (0.01 BTC bought at 60000 marked at 60500), 10008.79.
    assert [e["value"] for e in result["equity"]] == ["10000.00000000", "10004.40000000", "10008.79000000"]
    assert metrics["maxDrawdownPct"] == "0.0000"
    # The sell was replaced by a new buy at 60000, still open.
    assert result["openOrders"] == 1


def test_the_intrabar_order_is_stated_and_decides_which_side_fills_first() -> None:
    # Both a buy (60000) and a sell (62000) rest; the next candle reaches both.
    start = ("61000", "61000", "61000", "61000")
    near_low = ("60100", "62100", "59900", "61000")  # open 200 above the low, 2000 below the high
    balances = {"USDT": "10000", "BTC": "0.01"}

    adaptive = run(candles([start, near_low]), balances=balances).to_json()
    ohlc = run(candles([start, near_low]), balances=balances, intrabar="ohlc").to_json()

    assert adaptive["engine"]["intrabar"] == "adaptive"
    assert adaptive["engine"]["intrabarOrder"].startswith(
        "open→low→high→close when the open is nearer the low"
    )
    assert ohlc["engine"]["intrabarOrder"] == "open→high→low→close"
    second = T0 + MINUTE
    # Adaptive: open, low (buy fills), high (sell fills), close.
    assert [(f["side"], f["t"]) for f in adaptive["fills"][:2]] == [
        ("Buy", (second + MINUTE / 4).isoformat()),
        ("Sell", (second + MINUTE / 2).isoformat()),
    ]
    # Always open, high (sell fills), low (buy fills), close.
    assert [(f["side"], f["t"]) for f in ohlc["fills"][:2]] == [
        ("Sell", (second + MINUTE / 4).isoformat()),
        ("Buy", (second + MINUTE / 2).isoformat()),
    ]


def test_a_candle_that_cannot_reach_an_order_fills_nothing_and_the_next_one_does() -> None:
    rows = candles(
        [
            ("61000", "61000", "61000", "61000"),
            ("61000", "61100", "60001", "60500"),  # one cent above the buy
            ("60500", "60600", "60000", "60200"),  # touches it
        ]
    )
    result = run(rows).to_json()
    # Open nearer the high: open, high, low (the buy fills), close.
    assert [(f["t"], f["price"]) for f in result["fills"]] == [
        ((T0 + 2 * MINUTE + MINUTE / 2).isoformat(), "60000")
    ]


def test_a_position_cap_rejection_shows_with_its_code_and_the_strategy_is_told() -> None:
    # The platform's default limits: a position may be 5% of equity, so 0.01 BTC (600 USDT) of
    # 10,000 is refused.
    result = run(ROUND_TRIP, limits=None).to_json()

    assert result["fills"] == []
    assert result["rejectionCounts"] == {"MAX_POSITION": 1}
    [rejection] = result["rejections"]
    assert rejection["code"] == "MAX_POSITION"
    assert rejection["source"] == "risk"
    assert (rejection["side"], rejection["price"], rejection["t"]) == (
        "Buy",
        "60000",
        (T0 + MINUTE).isoformat(),
    )
    assert "exceeds 5% of equity" in rejection["message"]
    assert result["openOrders"] == 0


def test_limits_given_in_the_request_apply() -> None:
    limits = {"maxOrderNotional": "500"}
    result = run(ROUND_TRIP, limits=limits, balances={"USDT": "100000"}).to_json()
    assert result["rejectionCounts"] == {"MAX_ORDER_NOTIONAL": 1}
    assert result["request"]["limits"]["maxOrderNotional"] == "500"


def test_the_venue_refuses_what_the_balance_cannot_cover() -> None:
    # The strategy's own guard lets the buy through (600 <= 600.5); the venue reserves the fee on top.
    result = run(ROUND_TRIP, balances={"USDT": "600.5"}).to_json()
    assert result["rejectionCounts"] == {"INSUFFICIENT_FUNDS": 1}
    assert result["rejections"][0]["source"] == "venue"


def test_a_large_order_fills_in_parts_as_the_paper_venue_does() -> None:
    # 1 BTC at 60000 is 60,000 USDT; one tick gives an order at most 50,000 of liquidity.
    config = {"symbol": "BTC/USDT", "lower": "60000", "upper": "62000", "levels": 3, "quantityPerLevel": "1"}
    rows = candles([("61000", "61000", "61000", "61000"), ("61000", "61500", "59900", "59950")])
    result = run(rows, config=config, balances={"USDT": "100000"}).to_json()
    buys = [(f["quantity"], f["t"]) for f in result["fills"] if f["side"] == "Buy"]
    second = T0 + MINUTE
    assert buys == [
        ("0.83333", (second + MINUTE / 2).isoformat()),  # 50,000 / 60,000, down to the step
        ("0.16667", (second + 3 * MINUTE / 4).isoformat()),  # the rest on the close, still at or below
    ]
    assert Decimal(result["metrics"]["fees"]) > 0


class BidThenCancel(Grid):
    """Bids 0.01 at 60000 after the first candle and cancels it after the second."""

    def __init__(self) -> None:
        super().__init__(GridConfig.model_validate(GRID))
        self.free_after_cancel: Decimal | None = None

    def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
        if candle.t == T0:
            ctx.buy(candle.symbol, Decimal("0.01"), Decimal("60000"))
        elif candle.t == T0 + MINUTE:
            for order in ctx.open_orders:
                ctx.cancel(order.intent.intent_id)
        else:
            self.free_after_cancel = ctx.free("USDT")


def test_a_cancelled_order_leaves_the_book_and_frees_the_strategys_money() -> None:
    strategy = BidThenCancel()
    rows = candles(
        [
            ("61000", "61000", "61000", "61000"),
            ("61000", "61000", "60500", "60500"),
            ("60500", "60500", "59000", "59500"),  # would have filled the bid
        ]
    )
    result = run(rows, strategy=strategy).to_json()
    assert result["fills"] == []
    assert result["openOrders"] == 0
    assert strategy.free_after_cancel == Decimal("10000")
