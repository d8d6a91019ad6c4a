"""Paper balances: reservations, exact balance moves on fills, cancels, and the stored state."""

from __future__ import annotations

import json
from decimal import Decimal

from tradeplane.contracts import OrderStatus, OrderType, RejectCode, Side
from tradeplane.paper.engine import PaperEngine

from .builders import at, btc_tick, make_engine, order

BUY, SELL = Side.BUY, Side.SELL
MARKET, LIMIT, STOP = OrderType.MARKET, OrderType.LIMIT, OrderType.STOP


def test_buy_spends_notional_plus_fee_in_quote_and_gains_the_quantity(engine: PaperEngine) -> None:
    (fill,) = engine.submit(order("o1", BUY, MARKET, "0.1"), at(1)).fills

    assert engine.account.balance("USDT") == Decimal("100000") - Decimal("6500.1") - fill.fee
    assert engine.account.balance("BTC") == Decimal("2.1")


def test_sell_spends_the_quantity_and_gains_notional_minus_fee(engine: PaperEngine) -> None:
    (fill,) = engine.submit(order("o1", SELL, MARKET, "0.1"), at(1)).fills

    assert engine.account.balance("BTC") == Decimal("1.9")
    assert engine.account.balance("USDT") == Decimal("100000") + Decimal("6499.9") - fill.fee


def test_limit_buy_reserves_quantity_times_price_plus_taker_fee(engine: PaperEngine) -> None:
    engine.submit(order("o1", BUY, LIMIT, "0.1", price="64000"), at(1))

    assert engine.reserved("USDT") == Decimal("6400") * Decimal("1.002")
    assert engine.available("USDT") == Decimal("100000") - Decimal("6400") * Decimal("1.002")


def test_sell_reserves_the_base_quantity(engine: PaperEngine) -> None:
    engine.submit(order("o1", SELL, LIMIT, "0.5", price="70000"), at(1))

    assert engine.available("BTC") == Decimal("1.5")


def test_stop_buy_reserves_at_the_stop_plus_margin() -> None:
    engine = make_engine()

    engine.submit(order("s1", BUY, STOP, "0.1", stop_price="66000"), at(1))

    assert engine.reserved("USDT") == Decimal("6600") * Decimal("1.05") * Decimal("1.002")


def test_stop_buy_the_market_has_passed_reserves_at_the_ask_and_fills_in_full(engine: PaperEngine) -> None:
    engine.submit(order("s1", BUY, STOP, "0.1", stop_price="60000"), at(1))

    assert engine.account.balance("USDT") == Decimal("100000") - Decimal("6500.1") * Decimal("1.002")


def test_triggered_stop_stays_triggered_after_a_restore(engine: PaperEngine) -> None:
    engine.submit(order("s1", SELL, OrderType.STOP_LIMIT, "0.1", price="64100", stop_price="64000"), at(1))
    engine.on_tick(btc_tick(2, "63998.00", "64000.00", last="63999.00"))

    restored = PaperEngine.from_dict(engine.to_dict())
    (update,) = restored.on_tick(btc_tick(3, "64100.00", "64101.00", last="64100.50"))

    assert update.fills[0].price == Decimal("64100.00")


def test_buy_beyond_available_quote_is_rejected_for_insufficient_funds(engine: PaperEngine) -> None:
    update = engine.submit(order("o1", BUY, LIMIT, "2", price="60000"), at(1))

    assert (update.status, update.reject_code) == (OrderStatus.REJECTED, RejectCode.INSUFFICIENT_FUNDS)
    assert engine.account.balance("USDT") == Decimal("100000")


def test_reserved_quote_is_not_available_to_a_second_order(engine: PaperEngine) -> None:
    engine.submit(order("o1", BUY, LIMIT, "1.5", price="60000"), at(1))

    update = engine.submit(order("o2", BUY, LIMIT, "0.2", price="60000"), at(2))

    assert update.reject_code is RejectCode.INSUFFICIENT_FUNDS


def test_sell_beyond_the_base_held_is_rejected_for_insufficient_funds(engine: PaperEngine) -> None:
    update = engine.submit(order("o1", SELL, MARKET, "2.5"), at(1))

    assert update.reject_code is RejectCode.INSUFFICIENT_FUNDS


def test_market_buy_needs_the_ask_plus_margin_available() -> None:
    engine = make_engine(usdt="6700")
    engine.on_tick(btc_tick(0, "64999.00", "65001.00"))

    update = engine.submit(order("o1", BUY, MARKET, "0.1"), at(1))

    assert update.reject_code is RejectCode.INSUFFICIENT_FUNDS


def test_cancel_releases_the_reservation(engine: PaperEngine) -> None:
    engine.submit(order("o1", BUY, LIMIT, "0.1", price="64000"), at(1))

    update = engine.cancel("o1")

    assert update is not None and update.status is OrderStatus.CANCELLED
    assert engine.available("USDT") == Decimal("100000")


def test_cancel_keeps_what_already_filled_and_releases_the_rest() -> None:
    engine = make_engine(usdt="200000", liquidity="50000")
    engine.on_tick(btc_tick(0, "49999.00", "50000.00"))
    engine.submit(order("big", BUY, MARKET, "2.5"), at(1))

    update = engine.cancel("big")

    assert update is not None and update.filled_quantity == Decimal("1")
    assert engine.account.balance("BTC") == Decimal("1")
    assert engine.reserved("USDT") == 0


def test_cancel_of_an_order_that_is_not_open_returns_none(engine: PaperEngine) -> None:
    engine.submit(order("o1", BUY, MARKET, "0.1"), at(1))

    assert engine.cancel("o1") is None


def test_filled_limit_buy_releases_what_it_did_not_spend(engine: PaperEngine) -> None:
    engine.submit(order("o1", BUY, LIMIT, "0.1", price="64000"), at(1))

    engine.on_tick(btc_tick(2, "63000.00", "63001.00"))

    assert engine.reserved("USDT") == 0
    assert engine.available("USDT") == engine.account.balance("USDT")


def test_market_buy_whose_price_ran_past_the_margin_fills_what_it_reserved_and_cancels_the_rest() -> None:
    engine = make_engine(usdt="200000", liquidity="100000")
    engine.on_tick(btc_tick(0, "49999.00", "50000.00"))
    engine.submit(order("big", BUY, MARKET, "3"), at(1))  # fills 2 at 50000, 57615 USDT left reserved

    (update,) = engine.on_tick(btc_tick(2, "59999.00", "60000.00"))

    assert update.status is OrderStatus.CANCELLED
    assert update.fills[0].quantity == Decimal("0.95833")
    assert engine.account.balance("USDT") >= 0
    assert engine.open_orders() == []


def test_state_round_trips_through_json_with_decimals_as_strings(engine: PaperEngine) -> None:
    engine.submit(order("o1", BUY, LIMIT, "0.1", price="64000"), at(1))
    engine.submit(order("s1", SELL, STOP, "0.5", stop_price="60000"), at(2))

    stored = json.loads(json.dumps(engine.to_dict()))
    restored = PaperEngine.from_dict(stored)

    assert restored.to_dict() == engine.to_dict()
    assert stored["balances"]["USDT"] == "100000"
    assert restored.reserved("USDT") == engine.reserved("USDT")
    assert restored.available("BTC") == Decimal("1.5")


def test_restored_engine_continues_fill_numbering() -> None:
    engine = make_engine(usdt="200000", liquidity="50000")
    engine.on_tick(btc_tick(0, "49999.00", "50000.00"))
    engine.submit(order("big", BUY, MARKET, "1.5"), at(1))

    restored = PaperEngine.from_dict(engine.to_dict())
    (update,) = restored.on_tick(btc_tick(2, "49999.00", "50000.00"))

    assert update.fills[0].fill_id == "big-2"
