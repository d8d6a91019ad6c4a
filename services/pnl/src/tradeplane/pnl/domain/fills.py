"""The fill as lot accounting sees it, and its fee expressed in the symbol's quote currency."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from tradeplane.contracts import OrderFilled, Side

Rates = Callable[[str, str, datetime], Decimal | None]
"""`rates(from_currency, to_currency, at)`: the price of one `from_currency` in `to_currency`, or None."""


class FeeConversionError(ValueError):
    """A fee is in a currency that is neither side of the symbol and no rate converts it."""


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of an order; `quantity` and `price` are positive, `fee` is in `fee_currency`."""

    fill_id: str
    order_id: UUID
    user_id: UUID
    account_id: UUID
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    at: datetime

    def __post_init__(self) -> None:
        if self.quantity <= 0 or self.price <= 0:
            raise ValueError("fill quantity and price must be positive")
        if self.fee < 0:
            raise ValueError("fill fee must not be negative")
        if self.at.utcoffset() is None:
            raise ValueError("fill time must be timezone-aware")

    @classmethod
    def from_event(cls, event: OrderFilled) -> Fill:
        return cls(
            fill_id=event.fill_id,
            order_id=event.order_id,
            user_id=event.user_id,
            account_id=event.account_id,
            symbol=event.symbol,
            side=event.side,
            quantity=event.quantity,
            price=event.price,
            fee=event.fee,
            fee_currency=event.fee_currency,
            at=event.filled_at,
        )

    @property
    def base(self) -> str:
        return self.symbol.partition("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.partition("/")[2]


def fee_in_quote(fill: Fill, rates: Rates | None = None) -> Decimal:
    """The fill's fee in its quote currency; raises `FeeConversionError` when it cannot be converted."""
    if not fill.fee or fill.fee_currency == fill.quote:
        return fill.fee
    if fill.fee_currency == fill.base:
        return fill.fee * fill.price
    rate = rates(fill.fee_currency, fill.quote, fill.at) if rates is not None else None
    if rate is None:
        raise FeeConversionError(f"no rate from {fill.fee_currency} to {fill.quote} for fill {fill.fill_id}")
    return fill.fee * rate
