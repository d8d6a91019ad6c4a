"""The paper venue's records: orders, fills, updates, balances, and their plain-dict form for storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tradeplane.contracts import LiquiditySide, OrderStatus, OrderType, RejectCode, Side

from .feed import Tick


@dataclass(frozen=True, slots=True)
class PaperSettings:
    liquidity_per_tick: Decimal = Decimal("50000")
    """Quote notional one order can take from one tick; a larger order fills over several ticks."""
    market_buy_margin: Decimal = Decimal("0.05")
    """Headroom reserved over the ask (or stop) for a buy that fills at prices not known yet."""


@dataclass(frozen=True, slots=True)
class PaperOrder:
    order_id: str
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PaperFill:
    fill_id: str
    """`{order_id}-{n}`, n counting from 1, so a redelivered fill is recognised."""
    order_id: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    liquidity: LiquiditySide
    filled_quantity: Decimal
    """The order's cumulative filled quantity after this fill."""
    order_quantity: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class PaperUpdate:
    """Where one order stands after a call, with the fills that call produced."""

    order_id: str
    status: OrderStatus
    quantity: Decimal
    """The order quantity after rounding to the market's step (zero for a rejected order)."""
    filled_quantity: Decimal = Decimal(0)
    fills: tuple[PaperFill, ...] = ()
    reject_code: RejectCode | None = None
    reason: str = ""
    triggered: bool = False
    """The order's stop was reached by this call (it now trades as a market or limit order)."""


class Phase(StrEnum):
    STOP = "stop"
    """Waiting for the last price to reach the stop."""
    MARKET = "market"
    """Taking liquidity at the touch on every tick until filled."""
    LIMIT = "limit"
    """Resting in the book at its limit price."""


@dataclass(slots=True)
class RestingOrder:
    """An open order with its own reservation (quote for a buy, base for a sell)."""

    order: PaperOrder
    phase: Phase
    reserved: Decimal
    filled: Decimal = Decimal(0)
    fill_count: int = 0

    @property
    def remaining(self) -> Decimal:
        return self.order.quantity - self.filled

    def status(self) -> OrderStatus:
        if self.filled == self.order.quantity:
            return OrderStatus.FILLED
        return OrderStatus.PARTIALLY_FILLED if self.filled else OrderStatus.OPEN


@dataclass(slots=True)
class PaperAccount:
    """Total balances per currency; what open orders reserve is kept on the orders themselves."""

    balances: dict[str, Decimal] = field(default_factory=dict)

    def balance(self, currency: str) -> Decimal:
        return self.balances.get(currency, Decimal(0))

    def credit(self, currency: str, amount: Decimal) -> None:
        self.balances[currency] = self.balance(currency) + amount

    def debit(self, currency: str, amount: Decimal) -> None:
        left = self.balance(currency) - amount
        if left < 0:
            # Reservations make this unreachable; failing loudly beats a silently negative balance.
            raise RuntimeError(f"paper balance of {currency} would go negative: {left}")
        self.balances[currency] = left


def decimal_text(value: Decimal) -> str:
    return format(value, "f")


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def order_to_dict(resting: RestingOrder) -> dict[str, Any]:
    order = resting.order
    return {
        "order_id": order.order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.type.value,
        "quantity": decimal_text(order.quantity),
        "price": _opt(order.price),
        "stop_price": _opt(order.stop_price),
        "phase": resting.phase.value,
        "reserved": decimal_text(resting.reserved),
        "filled": decimal_text(resting.filled),
        "fill_count": resting.fill_count,
    }


def order_from_dict(data: dict[str, Any]) -> RestingOrder:
    order = PaperOrder(
        order_id=data["order_id"],
        symbol=data["symbol"],
        side=Side(data["side"]),
        type=OrderType(data["type"]),
        quantity=Decimal(data["quantity"]),
        price=_dec(data["price"]),
        stop_price=_dec(data["stop_price"]),
    )
    return RestingOrder(
        order=order,
        phase=Phase(data["phase"]),
        reserved=Decimal(data["reserved"]),
        filled=Decimal(data["filled"]),
        fill_count=int(data["fill_count"]),
    )


def tick_to_dict(tick: Tick) -> dict[str, Any]:
    return {
        "symbol": tick.symbol,
        "bid": decimal_text(tick.bid),
        "ask": decimal_text(tick.ask),
        "last": decimal_text(tick.last),
        "at": tick.at.isoformat(),
    }


def tick_from_dict(data: dict[str, Any]) -> Tick:
    return Tick(
        symbol=data["symbol"],
        bid=Decimal(data["bid"]),
        ask=Decimal(data["ask"]),
        last=Decimal(data["last"]),
        at=datetime.fromisoformat(data["at"]),
    )
