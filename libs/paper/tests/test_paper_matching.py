"""Paper matching: market, limit and stop orders against ticks, partial fills and maker/taker fees."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.contracts import LiquiditySide, OrderStatus, OrderType, RejectCode, Side
from tradeplane.paper.engine import PaperEngine

from .builders import at, btc_tick, make_engine, order

BUY, SELL = Side.BUY, Side.SELL
MARKET, LIMIT, STOP, STOP_LIMIT = OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT


def test_market_buy_fills_at_the_ask_as_taker(engine: PaperEngine) -> None:
    update = engine.submit(order("o1", BUY, MARKET, "0.1"), at(1))

    (fill,) = update.fills
    assert update.status is OrderStatus.FILLED
    assert (fill.price, fill.quantity, fill.liquidity) == (
        Decimal("65001.00"),
        Decimal("0.1"),
        LiquiditySide.TAKER,
    )


def test_market_sell_fills_at_the_bid(engine: PaperEngine) -> None:
    update = engine.submit(order("o1", SELL, MARKET, "0.1"), at(1))

    assert update.fills[0].price == Decimal("64999.00")


def test_taker_fee_is_the_taker_rate_of_the_notional_in_quote(engine: PaperEngine) -> None:
    (fill,) = engine.submit(order("o1", BUY, MARKET, "0.1"), at(1)).fills

    assert fill.fee == Decimal("6500.1") * Decimal("0.002")
    assert fill.fee_currency == "USDT"


def test_fill_carries_the_cumulative_and_order_quantities(engine: PaperEngine) -> None:
    (fill,) = engine.submit(order("o1", BUY, MARKET, "0.1"), at(1)).fills

    assert (fill.filled_quantity, fill.order_quantity, fill.at) == (Decimal("0.1"), Decimal("0.1"), at(1))


def test_market_order_before_any_price_is_rejected() -> None:
    update = make_engine().submit(order("o1", BUY, MARKET, "0.1"), at(1))

    assert (update.status, update.reject_code) == (OrderStatus.REJECTED, RejectCode.VENUE_ERROR)


def test_large_market_order_fills_part_now_and_the_rest_on_following_ticks() -> None:
    engine = make_engine(usdt="200000", liquidity="50000")
    engine.on_tick(btc_tick(0, "49999.00", "50000.00"))

    first = engine.submit(order("big", BUY, MARKET, "2.5"), at(1))
    second = engine.on_tick(btc_tick(2, "49999.00", "50000.00"))
    third = engine.on_tick(btc_tick(3, "49999.00", "50000.00"))

    assert (first.status, first.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, Decimal("1"))
    assert (second[0].status, second[0].filled_quantity) == (OrderStatus.PARTIALLY_FILLED, Decimal("2"))
    assert (third[0].status, third[0].fills[0].quantity) == (OrderStatus.FILLED, Decimal("0.5"))


def test_partial_fills_get_sequential_fill_ids() -> None:
    engine = make_engine(usdt="200000", liquidity="50000")
    engine.on_tick(btc_tick(0, "49999.00", "50000.00"))

    first = engine.submit(order("big", BUY, MARKET, "1.5"), at(1))
    (later,) = engine.on_tick(btc_tick(2, "49999.00", "50000.00"))

    assert [f.fill_id for f in first.fills + later.fills] == ["big-1", "big-2"]


def test_remainder_of_a_market_order_takes_the_next_ticks_price() -> None:
    engine = make_engine(usdt="200000", liquidity="50000")
    engine.on_tick(btc_tick(0, "49999.00", "50000.00"))
    engine.submit(order("big", BUY, MARKET, "1.5"), at(1))

    (update,) = engine.on_tick(btc_tick(2, "50099.00", "50100.00"))

    assert update.fills[0].price == Decimal("50100.00")


def test_a_repeated_or_older_tick_fills_nothing() -> None:
    engine = make_engine(usdt="200000", liquidity="50000")
    engine.on_tick(btc_tick(5, "49999.00", "50000.00"))
    engine.submit(order("big", BUY, MARKET, "1.5"), at(6))

    assert engine.on_tick(btc_tick(5, "49999.00", "50000.00")) == []
    assert engine.on_tick(btc_tick(4, "49999.00", "50000.00")) == []


def test_limit_buy_below_the_ask_rests_open(engine: PaperEngine) -> None:
    update = engine.submit(order("o1", BUY, LIMIT, "0.1", price="64000"), at(1))

    assert (update.status, update.fills) == (OrderStatus.OPEN, ())


def test_resting_limit_buy_does_not_fill_while_the_ask_stays_above(engine: PaperEngine) -> None:
    engine.submit(order("o1", BUY, LIMIT, "0.1", price="64000"), at(1))

    assert engine.on_tick(btc_tick(2, "64000.00", "64000.01")) == []


def test_resting_limit_buy_fills_as_maker_at_its_price_when_the_ask_reaches_it(engine: PaperEngine) -> None:
    engine.submit(order("o1", BUY, LIMIT, "0.1", price="64000"), at(1))

    (update,) = engine.on_tick(btc_tick(2, "63989.00", "63990.00"))

    (fill,) = update.fills
    assert (fill.price, fill.liquidity) == (Decimal("64000.00"), LiquiditySide.MAKER)
    assert fill.fee == Decimal("6400.000") * Decimal("0.001")


def test_resting_limit_sell_fills_when_the_bid_reaches_its_price(engine: PaperEngine) -> None:
    engine.submit(order("o1", SELL, LIMIT, "0.1", price="66000"), at(1))

    (update,) = engine.on_tick(btc_tick(2, "66000.00", "66001.00"))

    assert (update.status, update.fills[0].price) == (OrderStatus.FILLED, Decimal("66000.00"))


def test_marketable_limit_buy_fills_at_once_as_taker_at_the_better_ask(engine: PaperEngine) -> None:
    update = engine.submit(order("o1", BUY, LIMIT, "0.1", price="66000"), at(1))

    (fill,) = update.fills
    assert (fill.price, fill.liquidity) == (Decimal("65001.00"), LiquiditySide.TAKER)


def test_stop_buy_waits_while_last_is_below_the_stop(engine: PaperEngine) -> None:
    engine.submit(order("s1", BUY, STOP, "0.1", stop_price="66000"), at(1))

    assert engine.on_tick(btc_tick(2, "65998.00", "66000.00", last="65999.00")) == []


def test_stop_buy_triggers_when_last_reaches_the_stop_and_takes_the_ask(engine: PaperEngine) -> None:
    engine.submit(order("s1", BUY, STOP, "0.1", stop_price="66000"), at(1))

    (update,) = engine.on_tick(btc_tick(2, "65999.00", "66001.00", last="66000.00"))

    (fill,) = update.fills
    assert (fill.price, fill.liquidity) == (Decimal("66001.00"), LiquiditySide.TAKER)


def test_stop_sell_triggers_when_last_falls_to_the_stop(engine: PaperEngine) -> None:
    engine.submit(order("s1", SELL, STOP, "0.1", stop_price="64000"), at(1))

    (update,) = engine.on_tick(btc_tick(2, "63998.00", "64000.00", last="63999.00"))

    assert (update.status, update.fills[0].price) == (OrderStatus.FILLED, Decimal("63998.00"))


def test_triggered_stop_limit_that_cannot_trade_rests_as_a_limit(engine: PaperEngine) -> None:
    engine.submit(order("s1", SELL, STOP_LIMIT, "0.1", price="64100", stop_price="64000"), at(1))

    triggered = engine.on_tick(btc_tick(2, "63998.00", "64000.00", last="63999.00"))
    (later,) = engine.on_tick(btc_tick(3, "64100.00", "64101.00"))

    assert [(u.status, u.fills, u.triggered) for u in triggered] == [(OrderStatus.OPEN, (), True)]
    assert (later.fills[0].price, later.fills[0].liquidity) == (Decimal("64100.00"), LiquiditySide.MAKER)


def test_stop_limit_crossing_on_the_trigger_tick_takes_at_once(engine: PaperEngine) -> None:
    engine.submit(order("s1", SELL, STOP_LIMIT, "0.1", price="63000", stop_price="64000"), at(1))

    (update,) = engine.on_tick(btc_tick(2, "63998.00", "64000.00", last="63999.00"))

    assert (update.fills[0].price, update.fills[0].liquidity) == (Decimal("63998.00"), LiquiditySide.TAKER)


def test_stop_buy_already_passed_at_submission_triggers_at_once_and_fills_at_the_ask(
    engine: PaperEngine,
) -> None:
    update = engine.submit(order("s1", BUY, STOP, "0.1", stop_price="60000"), at(1))

    assert (update.status, update.triggered) == (OrderStatus.FILLED, True)
    assert update.fills[0].price == Decimal("65001.00")


def test_untriggered_stop_limit_ignores_a_crossing_price(engine: PaperEngine) -> None:
    # A sell stop-limit above the market would cross at once, but the stop has not been reached.
    engine.submit(order("s1", SELL, STOP_LIMIT, "0.1", price="60000", stop_price="64000"), at(1))

    assert engine.on_tick(btc_tick(2, "64500.00", "64501.00")) == []


def test_invalid_order_is_rejected_with_the_reason_code(engine: PaperEngine) -> None:
    update = engine.submit(order("o1", BUY, LIMIT, "0.00001", price="65000"), at(1))

    assert (update.status, update.reject_code) == (OrderStatus.REJECTED, RejectCode.INVALID_ORDER)
    assert update.reason.startswith("MIN_NOTIONAL")


def test_unknown_symbol_is_rejected(engine: PaperEngine) -> None:
    update = engine.submit(order("o1", BUY, LIMIT, "1", price="1", symbol="DOGE/USDT"), at(1))

    assert update.reject_code is RejectCode.INVALID_ORDER
    assert update.reason.startswith("UNKNOWN_SYMBOL")


def test_quantity_is_rounded_before_matching(engine: PaperEngine) -> None:
    update = engine.submit(order("o1", BUY, MARKET, "0.123456789"), at(1))

    assert (update.quantity, update.fills[0].quantity) == (Decimal("0.12345"), Decimal("0.12345"))


def test_submitting_an_open_order_again_changes_nothing(engine: PaperEngine) -> None:
    first = engine.submit(order("o1", BUY, LIMIT, "0.1", price="64000"), at(1))
    reserved = engine.reserved("USDT")

    again = engine.submit(order("o1", BUY, LIMIT, "0.1", price="64000"), at(2))

    assert again == first
    assert engine.reserved("USDT") == reserved


def test_lookup_reports_an_open_order_and_none_for_an_unknown_one(engine: PaperEngine) -> None:
    engine.submit(order("o1", BUY, LIMIT, "0.1", price="64000"), at(1))

    found = engine.lookup("o1")

    assert found is not None and found.status is OrderStatus.OPEN
    assert engine.lookup("nope") is None


def test_filled_order_leaves_the_book(engine: PaperEngine) -> None:
    engine.submit(order("o1", BUY, MARKET, "0.1"), at(1))

    assert engine.open_orders() == []


def test_quoted_price_prices_the_next_market_order_of_an_idle_engine() -> None:
    engine = make_engine()
    engine.on_tick(btc_tick(1, "64999.00", "65000.00"))
    engine.quote(btc_tick(2, "63999.00", "64000.00"))

    update = engine.submit(order("o1", BUY, MARKET, "0.1"), at(3))

    assert update.fills[0].price == Decimal("64000.00")


def test_quote_leaves_a_symbol_with_a_resting_order_to_on_tick() -> None:
    engine = make_engine()
    engine.on_tick(btc_tick(1, "64999.00", "65000.00"))
    engine.submit(order("rest", BUY, LIMIT, "0.1", price="64000"), at(2))

    engine.quote(btc_tick(3, "63000.00", "63001.00"))

    rest = engine.lookup("rest")
    assert rest is not None and rest.status is OrderStatus.OPEN
    assert engine.on_tick(btc_tick(3, "63000.00", "63001.00"))[0].status is OrderStatus.FILLED


def test_limit_band_bounds_the_ticks_that_can_fill_a_resting_limit(engine: PaperEngine) -> None:
    assert engine.limit_band("BTC/USDT") == (None, None)
    engine.submit(order("b1", Side.BUY, OrderType.LIMIT, "0.01", "64000"), at(1))
    engine.submit(order("b2", Side.BUY, OrderType.LIMIT, "0.01", "64500"), at(1))
    engine.submit(order("s1", Side.SELL, OrderType.LIMIT, "0.01", "66000"), at(1))
    assert engine.limit_band("BTC/USDT") == (Decimal("64500"), Decimal("66000"))
    assert engine.limit_band("ETH/USDT") == (None, None)
    # Inside the band nothing fills; at its edge the order does.
    assert engine.on_tick(btc_tick(2, "64500.01", "65999.99")) == []
    assert [u.order_id for u in engine.on_tick(btc_tick(3, "64400", "64500"))] == ["b2"]
    assert engine.limit_band("BTC/USDT") == (Decimal("64000"), Decimal("66000"))


def test_limit_band_is_none_while_a_stop_waits(engine: PaperEngine) -> None:
    engine.submit(order("st", Side.SELL, OrderType.STOP, "0.01", stop_price="60000"), at(1))
    assert engine.limit_band("BTC/USDT") is None
