"""Market specifications (tick, step, minimums, fees) and the order rounding and validation they imply."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from tradeplane.contracts import OrderType, Side
from tradeplane.contracts.errors import CodedError


class InvalidOrderCode(StrEnum):
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    PRECISION = "PRECISION"
    MIN_AMOUNT = "MIN_AMOUNT"
    MIN_NOTIONAL = "MIN_NOTIONAL"
    MISSING_PRICE = "MISSING_PRICE"
    UNEXPECTED_PRICE = "UNEXPECTED_PRICE"
    NOT_POSITIVE = "NOT_POSITIVE"


class InvalidOrder(CodedError[InvalidOrderCode]):
    """The order cannot be placed on this market as asked."""


@dataclass(frozen=True, slots=True)
class MarketSpec:
    symbol: str
    base: str
    quote: str
    price_precision: Decimal
    """Tick size: prices are whole multiples of it."""
    amount_precision: Decimal
    """Step size: quantities are whole multiples of it."""
    min_amount: Decimal
    min_notional: Decimal
    """Smallest quantity * price, in the quote currency."""
    maker_fee: Decimal
    taker_fee: Decimal


_Rounder = Callable[[Decimal, Decimal], Decimal]


@dataclass(frozen=True, slots=True)
class RoundedOrder:
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None


def _spec(symbol: str, base: str, tick: str, step: str) -> MarketSpec:
    return MarketSpec(
        symbol=symbol,
        base=base,
        quote="USDT",
        price_precision=Decimal(tick),
        amount_precision=Decimal(step),
        min_amount=Decimal(step),
        min_notional=Decimal("5"),
        maker_fee=Decimal("0.001"),
        taker_fee=Decimal("0.002"),
    )


PAPER_MARKETS: Mapping[str, MarketSpec] = {
    "BTC/USDT": _spec("BTC/USDT", "BTC", "0.01", "0.00001"),
    "ETH/USDT": _spec("ETH/USDT", "ETH", "0.01", "0.0001"),
    "SOL/USDT": _spec("SOL/USDT", "SOL", "0.01", "0.001"),
}
"""The paper venue's markets, shaped like a large spot exchange's (tick, step, 5 USDT minimum)."""

PAPER_START_PRICES: Mapping[str, Decimal] = {
    "BTC/USDT": Decimal("65000.00"),
    "ETH/USDT": Decimal("3400.00"),
    "SOL/USDT": Decimal("150.00"),
}


def market_for(markets: Mapping[str, MarketSpec], symbol: str) -> MarketSpec:
    try:
        return markets[symbol]
    except KeyError:
        raise InvalidOrder(InvalidOrderCode.UNKNOWN_SYMBOL, f"{symbol} is not traded here") from None


def floor_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(ROUND_FLOOR) * step


def ceil_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(ROUND_CEILING) * step


def nearest(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(ROUND_HALF_EVEN) * step


def validate_and_round(
    spec: MarketSpec,
    side: Side,
    type: OrderType,
    quantity: Decimal,
    price: Decimal | None = None,
    stop_price: Decimal | None = None,
    *,
    reference_price: Decimal | None = None,
) -> RoundedOrder:
    """Round an order to the market's grid and check its minimums.

    The quantity is rounded down to the step (never more than asked); a limit price is rounded
    to the tick in the user's favour (a buy down, a sell up) so the order never pays worse than
    asked; a stop price goes to the nearest tick. The notional is checked at the limit price,
    else the stop price, else `reference_price` (for a market order; skipped when unknown).
    """
    _check_prices_fit_type(type, price, stop_price)
    qty = _round_quantity(spec, quantity)
    limit = None if price is None else _round_price(spec, price, floor_to if side is Side.BUY else ceil_to)
    stop = None if stop_price is None else _round_price(spec, stop_price, nearest)
    notional_price = next((p for p in (limit, stop, reference_price) if p is not None), None)
    if notional_price is not None and qty * notional_price < spec.min_notional:
        raise InvalidOrder(
            InvalidOrderCode.MIN_NOTIONAL,
            f"{qty} x {notional_price} is below the minimum of {spec.min_notional} {spec.quote}",
        )
    return RoundedOrder(quantity=qty, price=limit, stop_price=stop)


def _check_prices_fit_type(type: OrderType, price: Decimal | None, stop_price: Decimal | None) -> None:
    needs_price = type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    needs_stop = type in (OrderType.STOP, OrderType.STOP_LIMIT)
    if needs_price and price is None:
        raise InvalidOrder(InvalidOrderCode.MISSING_PRICE, f"{type} orders need a price")
    if needs_stop and stop_price is None:
        raise InvalidOrder(InvalidOrderCode.MISSING_PRICE, f"{type} orders need a stop price")
    if not needs_price and price is not None:
        raise InvalidOrder(InvalidOrderCode.UNEXPECTED_PRICE, f"{type} orders take no limit price")
    if not needs_stop and stop_price is not None:
        raise InvalidOrder(InvalidOrderCode.UNEXPECTED_PRICE, f"{type} orders take no stop price")


def _round_quantity(spec: MarketSpec, quantity: Decimal) -> Decimal:
    qty = _round_positive("quantity", quantity, floor_to, spec.amount_precision, "step")
    if qty < spec.min_amount:
        raise InvalidOrder(InvalidOrderCode.MIN_AMOUNT, f"quantity {qty} is below {spec.min_amount}")
    return qty


def _round_price(spec: MarketSpec, price: Decimal, rounder: _Rounder) -> Decimal:
    return _round_positive("price", price, rounder, spec.price_precision, "tick")


def _round_positive(what: str, value: Decimal, rounder: _Rounder, step: Decimal, unit: str) -> Decimal:
    """`value` rounded to `step`; refused when it is not a positive number or rounds to zero."""
    if not value.is_finite() or value <= 0:
        raise InvalidOrder(InvalidOrderCode.NOT_POSITIVE, f"{what} {value} must be positive")
    rounded = rounder(value, step)
    if rounded == 0:
        raise InvalidOrder(InvalidOrderCode.PRECISION, f"{what} {value} is zero at {unit} {step}")
    return rounded
