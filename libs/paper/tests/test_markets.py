"""Rounding to the market grid and the minimum checks of `validate_and_round`."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from tradeplane.contracts import OrderType, Side
from tradeplane.paper.markets import (
    PAPER_MARKETS,
    PAPER_START_PRICES,
    InvalidOrder,
    InvalidOrderCode,
    market_for,
    validate_and_round,
)

BTC = PAPER_MARKETS["BTC/USDT"]


def code_of(excinfo: pytest.ExceptionInfo[InvalidOrder]) -> InvalidOrderCode:
    return excinfo.value.code


def refusal(*order: Any, **prices: Any) -> InvalidOrderCode:
    """The code `validate_and_round` refuses this order with (the test fails if it accepts it)."""
    with pytest.raises(InvalidOrder) as excinfo:
        validate_and_round(*order, **prices)
    return code_of(excinfo)


def test_quantity_is_rounded_down_to_the_step() -> None:
    rounded = validate_and_round(BTC, Side.BUY, OrderType.MARKET, Decimal("0.123456789"))

    assert rounded.quantity == Decimal("0.12345")


def test_buy_limit_price_is_rounded_down_to_the_tick() -> None:
    rounded = validate_and_round(BTC, Side.BUY, OrderType.LIMIT, Decimal("0.1"), Decimal("65000.019"))

    assert rounded.price == Decimal("65000.01")


def test_sell_limit_price_is_rounded_up_to_the_tick() -> None:
    rounded = validate_and_round(BTC, Side.SELL, OrderType.LIMIT, Decimal("0.1"), Decimal("65000.011"))

    assert rounded.price == Decimal("65000.02")


def test_stop_price_is_rounded_to_the_nearest_tick() -> None:
    rounded = validate_and_round(
        BTC, Side.SELL, OrderType.STOP, Decimal("0.1"), stop_price=Decimal("64000.006")
    )

    assert rounded.stop_price == Decimal("64000.01")


def test_quantity_below_one_step_is_a_precision_error() -> None:
    assert refusal(BTC, Side.BUY, OrderType.MARKET, Decimal("0.000009")) is InvalidOrderCode.PRECISION


def test_limit_price_below_one_tick_is_a_precision_error() -> None:
    assert (
        refusal(BTC, Side.BUY, OrderType.LIMIT, Decimal("1"), Decimal("0.001")) is InvalidOrderCode.PRECISION
    )


def test_quantity_below_the_minimum_amount_is_refused() -> None:
    spec = replace(BTC, min_amount=Decimal("0.001"))

    assert (
        refusal(spec, Side.BUY, OrderType.LIMIT, Decimal("0.0009"), Decimal("65000"))
        is InvalidOrderCode.MIN_AMOUNT
    )


def test_limit_order_below_the_minimum_notional_is_refused() -> None:
    assert (
        refusal(BTC, Side.BUY, OrderType.LIMIT, Decimal("0.00007"), Decimal("65000"))
        is InvalidOrderCode.MIN_NOTIONAL
    )


def test_minimum_notional_is_checked_after_rounding() -> None:
    # 0.0000799 * 65000 = 5.19 before rounding, 0.00007 * 65000 = 4.55 after.
    assert (
        refusal(BTC, Side.BUY, OrderType.LIMIT, Decimal("0.0000799"), Decimal("65000"))
        is InvalidOrderCode.MIN_NOTIONAL
    )


def test_market_order_notional_is_checked_at_the_reference_price() -> None:
    assert (
        refusal(BTC, Side.SELL, OrderType.MARKET, Decimal("0.00007"), reference_price=Decimal("65000"))
        is InvalidOrderCode.MIN_NOTIONAL
    )


def test_market_order_without_reference_price_skips_the_notional_check() -> None:
    rounded = validate_and_round(BTC, Side.SELL, OrderType.MARKET, Decimal("0.00007"))

    assert rounded.quantity == Decimal("0.00007")


def test_stop_order_notional_is_checked_at_the_stop_price() -> None:
    assert (
        refusal(BTC, Side.SELL, OrderType.STOP, Decimal("0.0001"), stop_price=Decimal("40000"))
        is InvalidOrderCode.MIN_NOTIONAL
    )


@pytest.mark.parametrize(
    ("type", "price", "stop_price"),
    [
        (OrderType.LIMIT, None, None),
        (OrderType.STOP, None, None),
        (OrderType.STOP_LIMIT, Decimal("65000"), None),
        (OrderType.STOP_LIMIT, None, Decimal("65000")),
    ],
)
def test_order_without_the_prices_its_type_needs_is_refused(
    type: OrderType, price: Decimal | None, stop_price: Decimal | None
) -> None:
    assert refusal(BTC, Side.BUY, type, Decimal("0.1"), price, stop_price) is InvalidOrderCode.MISSING_PRICE


@pytest.mark.parametrize(
    ("type", "price", "stop_price"),
    [
        (OrderType.MARKET, Decimal("65000"), None),
        (OrderType.MARKET, None, Decimal("65000")),
        (OrderType.LIMIT, Decimal("65000"), Decimal("65000")),
        (OrderType.STOP, Decimal("65000"), Decimal("65000")),
    ],
)
def test_order_with_a_price_its_type_does_not_take_is_refused(
    type: OrderType, price: Decimal | None, stop_price: Decimal | None
) -> None:
    assert (
        refusal(BTC, Side.BUY, type, Decimal("0.1"), price, stop_price) is InvalidOrderCode.UNEXPECTED_PRICE
    )


@pytest.mark.parametrize("quantity", ["0", "-1", "NaN", "Infinity"])
def test_quantity_that_is_not_a_positive_number_is_refused(quantity: str) -> None:
    assert refusal(BTC, Side.BUY, OrderType.MARKET, Decimal(quantity)) is InvalidOrderCode.NOT_POSITIVE


def test_negative_limit_price_is_refused() -> None:
    assert (
        refusal(BTC, Side.BUY, OrderType.LIMIT, Decimal("1"), Decimal("-5")) is InvalidOrderCode.NOT_POSITIVE
    )


def test_unknown_symbol_is_refused() -> None:
    with pytest.raises(InvalidOrder) as excinfo:
        market_for(PAPER_MARKETS, "DOGE/USDT")

    assert code_of(excinfo) is InvalidOrderCode.UNKNOWN_SYMBOL


def test_paper_venue_lists_btc_eth_and_sol_with_start_prices_on_their_tick() -> None:
    assert set(PAPER_MARKETS) == set(PAPER_START_PRICES) == {"BTC/USDT", "ETH/USDT", "SOL/USDT"}
    for symbol, spec in PAPER_MARKETS.items():
        price = PAPER_START_PRICES[symbol]
        assert price % spec.price_precision == 0
        assert spec.maker_fee < spec.taker_fee
