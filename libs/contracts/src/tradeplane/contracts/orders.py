"""The order path: request, risk decision, venue outcomes, and the cancel command."""

from __future__ import annotations

from typing import Self
from uuid import UUID

from pydantic import Field, model_validator

from .base import Message, NonNegative, Quantity, UtcDatetime
from .enums import LiquiditySide, OrderType, RejectCode, Side

SYMBOL_PATTERN = r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}$"


class OrderIntent(Message):
    """Fields common to the request and the approval: what the user asked for."""

    order_id: UUID
    user_id: UUID
    account_id: UUID
    client_order_id: str = Field(min_length=1, max_length=64)
    venue: str = Field(min_length=1, max_length=32)
    symbol: str = Field(pattern=SYMBOL_PATTERN)
    side: Side
    type: OrderType
    quantity: Quantity
    price: Quantity | None = None
    stop_price: Quantity | None = None
    reduce_only: bool = False
    bot_id: UUID | None = None
    """The bot that placed the order; None for an order a user placed by hand."""

    @model_validator(mode="after")
    def _prices_fit_type(self) -> Self:
        needs_price = self.type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = self.type in (OrderType.STOP, OrderType.STOP_LIMIT)
        if needs_price and self.price is None:
            raise ValueError(f"{self.type} orders need a price")
        if needs_stop and self.stop_price is None:
            raise ValueError(f"{self.type} orders need a stop_price")
        if self.type is OrderType.MARKET and (self.price is not None or self.stop_price is not None):
            raise ValueError("Market orders take no price")
        return self


class OrderRequested(OrderIntent):
    """A user (or bot) asked for an order; risk decides on it."""


class OrderApproved(OrderIntent):
    """Risk let the order through; the account's executor sends it."""


class OrderRejected(Message):
    """Refused before reaching the venue (risk) or by the venue itself."""

    order_id: UUID
    user_id: UUID
    account_id: UUID
    code: RejectCode
    reason: str = Field(max_length=500)


class OrderAccepted(Message):
    """The venue acknowledged the order; it is open there."""

    order_id: UUID
    user_id: UUID
    account_id: UUID
    venue_order_id: str
    accepted_at: UtcDatetime


class OrderFilled(Message):
    """One fill (execution) of an order, with its fee."""

    order_id: UUID
    user_id: UUID
    account_id: UUID
    fill_id: str = Field(min_length=1, max_length=128)
    venue: str
    symbol: str = Field(pattern=SYMBOL_PATTERN)
    side: Side
    quantity: Quantity
    price: Quantity
    fee: NonNegative
    fee_currency: str = Field(min_length=1, max_length=16)
    liquidity: LiquiditySide
    filled_quantity: NonNegative
    """Cumulative filled quantity of the order after this fill."""
    order_quantity: Quantity
    filled_at: UtcDatetime


class OrderCanceled(Message):
    """The order is cancelled at the venue (by the user, the kill switch or the venue)."""

    order_id: UUID
    user_id: UUID
    account_id: UUID
    reason: str = Field(default="", max_length=500)
    filled_quantity: NonNegative = Field(default=0)  # type: ignore[assignment]


class OrderFailed(Message):
    """The venue refused or errored on the order; it will not be retried."""

    order_id: UUID
    user_id: UUID
    account_id: UUID
    code: RejectCode
    reason: str = Field(max_length=500)


class CancelOrder(Message):
    """Command: cancel an order at its venue."""

    order_id: UUID
    user_id: UUID
    account_id: UUID
    reason: str = Field(default="user", max_length=200)
