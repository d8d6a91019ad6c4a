"""Fitting an order to its market: round to the venue's steps, then check minimum size and notional.

Quantities round down (never more than asked). Limit prices round in the caller's favour-safe
direction: a buy down, a sell up, so the order never pays more or sells for less than requested.
Stop prices round to the nearest tick.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from tradeplane.contracts import OrderType, Side

# Enough digits for any quantity times any step a venue publishes.
_PRECISION = 80


class SizingError(Exception):
    """The order does not fit its market; `code` is the API error code (HTTP 422)."""

    def __init__(self, code: str, message: str, field: str | None = None, **details: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details)
        if field is not None:
            self.details["field"] = field


@dataclass(frozen=True, slots=True)
class MarketRules:
    symbol: str
    tick_size: Decimal
    step_size: Decimal
    min_amount: Decimal
    min_notional: Decimal

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> MarketRules:
        """From execution's market spec JSON (Decimal values as strings)."""
        return cls(
            symbol=str(spec["symbol"]),
            tick_size=_decimal(spec.get("tickSize")),
            step_size=_decimal(spec.get("stepSize")),
            min_amount=_decimal(spec.get("minAmount")),
            min_notional=_decimal(spec.get("minNotional")),
        )


def _decimal(value: Any) -> Decimal:
    try:
        result = Decimal(str(value)) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
    return result if result.is_finite() and result > 0 else Decimal(0)


def find_market(specs: Iterable[Mapping[str, Any]], symbol: str) -> MarketRules:
    for spec in specs:
        if spec.get("symbol") == symbol:
            return MarketRules.from_spec(spec)
    raise SizingError("UNKNOWN_SYMBOL", f"{symbol} is not traded on this venue", "symbol", symbol=symbol)


def to_step(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    """`value` as a whole number of `step`s; a zero step means the venue sets no increment."""
    if step <= 0:
        return value
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return (value / step).to_integral_value(rounding=rounding) * step


@dataclass(frozen=True, slots=True)
class Sized:
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None


@dataclass(frozen=True, slots=True)
class Requested:
    side: Side
    type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None


def size_order(rules: MarketRules, order: Requested, last_price: Decimal | None = None) -> Sized:
    """The order rounded to `rules`, or a `SizingError`.

    The notional is checked against the limit price, the stop price of a stop order, or for a
    market order `last_price`; a market order without a known price skips the notional check
    (risk and the venue still check it).
    """
    quantity = to_step(order.quantity, rules.step_size, ROUND_FLOOR)
    if quantity <= 0 or quantity < rules.min_amount:
        raise SizingError(
            "QUANTITY_TOO_SMALL",
            f"the quantity must be at least {_fmt(max(rules.min_amount, rules.step_size))} {rules.symbol}",
            "quantity",
            minAmount=_fmt(rules.min_amount),
            stepSize=_fmt(rules.step_size),
        )
    price = _limit_price(order, rules)
    stop = _stop_price(order, rules)
    reference = price if price is not None else stop if stop is not None else last_price
    if reference is not None and rules.min_notional > 0 and quantity * reference < rules.min_notional:
        raise SizingError(
            "NOTIONAL_TOO_SMALL",
            f"the order is worth {_fmt(quantity * reference)}; the minimum is {_fmt(rules.min_notional)}",
            "quantity",
            minNotional=_fmt(rules.min_notional),
        )
    return Sized(quantity, price, stop)


def _limit_price(order: Requested, rules: MarketRules) -> Decimal | None:
    if order.price is None:
        return None
    rounding = ROUND_FLOOR if order.side is Side.BUY else ROUND_CEILING
    price = to_step(order.price, rules.tick_size, rounding)
    if price <= 0:
        raise SizingError(
            "INVALID_PRICE", "the price is below one tick", "price", tickSize=_fmt(rules.tick_size)
        )
    return price


def _stop_price(order: Requested, rules: MarketRules) -> Decimal | None:
    if order.stop_price is None:
        return None
    stop = to_step(order.stop_price, rules.tick_size, ROUND_HALF_UP)
    if stop <= 0:
        raise SizingError(
            "INVALID_PRICE", "the stop price is below one tick", "stopPrice", tickSize=_fmt(rules.tick_size)
        )
    return stop


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"
