"""Grid: limit buys below and sells above the price across the levels; a filled level flips one level away."""

from __future__ import annotations

from tradeplane.contracts import OrderType, Side
from tradeplane.strategies import Fill, StrategyDriver, run_offline
from tradeplane.strategies.builtin.grid import Grid, GridConfig
from tradeplane.strategies.driver import RunOutput

from .builders import T0, D, candles, driver

CONFIG = {"symbol": "BTC/USDT", "lower": "90", "upper": "110", "levels": 5, "quantityPerLevel": "0.1"}


def placed(balances: dict[str, str], close: str = "101") -> tuple[StrategyDriver, list[tuple[Side, str]]]:
    bot = driver(Grid(GridConfig.model_validate(CONFIG)), balances)
    bot.start(T0)
    [out] = bot.candle(candles([close])[0])
    assert all(i.type is OrderType.LIMIT and i.quantity == D("0.1") for i in out.intents)
    return bot, [(i.side, str(i.price)) for i in out.intents]


def test_levels_span_lower_to_upper() -> None:
    assert Grid(GridConfig.model_validate(CONFIG)).prices == [D(90), D(95), D(100), D(105), D(110)]


def test_first_candle_places_buys_below_nearest_first_and_sells_above_leaving_the_nearest_level_empty() -> (
    None
):
    _, orders = placed({"USDT": "1000", "BTC": "1"})
    assert orders == [
        (Side.BUY, "95"),
        (Side.BUY, "90"),
        (Side.SELL, "105"),
        (Side.SELL, "110"),
    ]


def test_levels_the_allocation_cannot_cover_are_skipped() -> None:
    bot, orders = placed({"USDT": "15"})
    assert orders == [(Side.BUY, "95")]
    assert bot.ctx.free("USDT") == D("5.5")


def fill_level(bot: StrategyDriver, price: int, quantity: str = "0.1") -> RunOutput | None:
    """Fill the grid's order resting at `price` (all of it by default); what the bot answers."""
    intent = next(o.intent for o in bot.ctx.open_orders if o.intent.price == D(price))
    return bot.fill(Fill(intent_id=intent.intent_id, quantity=D(quantity), price=D(price), at=T0))


def test_a_filled_buy_is_replaced_by_a_sell_one_level_up() -> None:
    bot, _ = placed({"USDT": "1000", "BTC": "1"})
    out = fill_level(bot, 95)
    assert out is not None
    assert [(i.side, i.price) for i in out.intents] == [(Side.SELL, D(100))]


def test_a_filled_sell_is_replaced_by_a_buy_one_level_down() -> None:
    bot, _ = placed({"USDT": "1000", "BTC": "1"})
    out = fill_level(bot, 105)
    assert out is not None
    assert [(i.side, i.price) for i in out.intents] == [(Side.BUY, D(100))]


def test_a_partial_fill_waits_for_the_rest() -> None:
    bot, _ = placed({"USDT": "1000", "BTC": "1"})
    out = fill_level(bot, 95, "0.05")
    assert out is not None and out.intents == []


def test_a_price_above_the_grid_places_buys_only_with_the_top_level_empty() -> None:
    _, orders = placed({"USDT": "1000", "BTC": "1"}, close="120")
    assert orders == [(Side.BUY, "105"), (Side.BUY, "100"), (Side.BUY, "95"), (Side.BUY, "90")]


def test_in_a_range_it_buys_low_and_sells_high_for_a_profit() -> None:
    closes = ["101"] + ["94", "106"] * 5
    result = run_offline("grid", CONFIG, candles(closes), {"USDT": D(1000), "BTC": D(1)})
    fills = [
        (next(i.side for i in result.intents if i.intent_id == f.intent_id), f.price) for f in result.fills
    ]
    assert fills[:5] == [
        (Side.BUY, D(95)),
        (Side.SELL, D(105)),
        (Side.SELL, D(100)),
        (Side.BUY, D(100)),
        (Side.BUY, D(95)),
    ]
    assert len(fills) == 19
    assert result.balances == {"USDT": D(1015), "BTC": D("0.9")}
    assert result.balances["USDT"] + result.balances["BTC"] * D(106) > 1000 + 1 * 106  # beats holding


def test_a_level_the_allocation_no_longer_covers_is_logged_not_replaced() -> None:
    bot, orders = placed({"BTC": "0.1"})
    assert orders == [(Side.SELL, "105")]
    sell_105 = bot.ctx.open_orders[0].intent
    # 10.5 USDT of proceeds less a 1 USDT fee do not pay for 0.1 at 100.
    out = bot.fill(Fill(intent_id=sell_105.intent_id, quantity=D("0.1"), price=D(105), fee=D(1), at=T0))
    assert out is not None and out.intents == []
    assert out.logs[-1].message == "grid level not replaced: the allocation does not cover it"
