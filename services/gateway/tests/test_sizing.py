"""Fitting orders to market rules: rounding and minimums."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tradeplane.contracts import OrderType, Side
from tradeplane.gateway.domain.sizing import MarketRules, Requested, SizingError, find_market, size_order

SPEC = {
    "symbol": "BTC/USDT",
    "base": "BTC",
    "quote": "USDT",
    "tickSize": "0.01",
    "stepSize": "0.00001",
    "minAmount": "0.0001",
    "minNotional": "5",
    "makerFee": "0.001",
    "takerFee": "0.001",
}
RULES = MarketRules.from_spec(SPEC)
D = Decimal


def limit(side: Side, quantity: str, price: str) -> Requested:
    return Requested(side, OrderType.LIMIT, D(quantity), price=D(price))


def test_quantity_rounds_down_to_the_step() -> None:
    assert size_order(RULES, limit(Side.BUY, "0.123456789", "50000")).quantity == D("0.12345")


def test_buy_limit_price_rounds_down_to_the_tick() -> None:
    assert size_order(RULES, limit(Side.BUY, "0.01", "50000.019")).price == D("50000.01")


def test_sell_limit_price_rounds_up_to_the_tick() -> None:
    assert size_order(RULES, limit(Side.SELL, "0.01", "50000.011")).price == D("50000.02")


def test_stop_price_rounds_to_the_nearest_tick() -> None:
    order = Requested(Side.SELL, OrderType.STOP, D("0.01"), stop_price=D("49000.016"))

    assert size_order(RULES, order).stop_price == D("49000.02")


def test_quantity_below_the_minimum_is_refused() -> None:
    with pytest.raises(SizingError) as err:
        size_order(RULES, limit(Side.BUY, "0.00009", "50000"))

    assert err.value.code == "QUANTITY_TOO_SMALL" and err.value.details["field"] == "quantity"


def test_quantity_rounding_to_zero_is_refused() -> None:
    with pytest.raises(SizingError) as err:
        size_order(RULES, limit(Side.BUY, "0.000001", "50000"))

    assert err.value.code == "QUANTITY_TOO_SMALL"


def test_limit_order_worth_less_than_the_minimum_notional_is_refused() -> None:
    with pytest.raises(SizingError) as err:
        size_order(RULES, limit(Side.BUY, "0.0001", "100"))

    assert err.value.code == "NOTIONAL_TOO_SMALL"


def test_market_order_notional_uses_the_last_price() -> None:
    order = Requested(Side.BUY, OrderType.MARKET, D("0.0001"))

    with pytest.raises(SizingError) as err:
        size_order(RULES, order, last_price=D("100"))

    assert err.value.code == "NOTIONAL_TOO_SMALL"


def test_market_order_without_a_known_price_skips_the_notional_check() -> None:
    order = Requested(Side.BUY, OrderType.MARKET, D("0.0001"))

    assert size_order(RULES, order, last_price=None).quantity == D("0.0001")


def test_price_below_one_tick_is_refused() -> None:
    with pytest.raises(SizingError) as err:
        size_order(RULES, limit(Side.BUY, "1", "0.001"))

    assert err.value.code == "INVALID_PRICE"


def test_huge_quantity_with_a_tiny_step_keeps_every_digit() -> None:
    rules = MarketRules("X/Y", D("1e-18"), D("1e-18"), D(0), D(0))
    order = Requested(Side.BUY, OrderType.LIMIT, D("123456789012345.123456789012345678"), price=D("1"))

    assert size_order(rules, order).quantity == D("123456789012345.123456789012345678")


def test_unknown_symbol_is_refused() -> None:
    with pytest.raises(SizingError) as err:
        find_market([SPEC], "DOGE/USDT")

    assert err.value.code == "UNKNOWN_SYMBOL"


def test_market_without_increments_leaves_values_unrounded() -> None:
    rules = MarketRules.from_spec({"symbol": "X/Y"})

    assert size_order(rules, limit(Side.BUY, "0.123456789", "1.23456789")).quantity == D("0.123456789")
