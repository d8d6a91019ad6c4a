"""The order lifecycle: Pending -> Open -> PartiallyFilled -> Filled, Cancelled or Rejected, as pure
functions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from tradeplane.contracts import OrderStatus


class SendState(StrEnum):
    """How far an order got towards its venue; the values are what the order row stores."""

    SENDING = "sending"
    """Marked before the venue call: after a crash only the venue knows whether it arrived."""
    SENT = "sent"
    """The venue has it and it is still live."""
    DONE = "done"
    """Terminal: filled, cancelled, rejected or failed."""


class OrderStateError(Exception):
    """An update that the order's current state cannot take."""


class IllegalTransition(OrderStateError):
    def __init__(self, order_id: str, status: OrderStatus, action: str) -> None:
        super().__init__(f"order {order_id} is {status}: cannot {action}")
        self.status = status
        self.action = action


class Overfill(OrderStateError):
    def __init__(self, order_id: str, filled: Decimal, fill: Decimal, quantity: Decimal) -> None:
        super().__init__(f"order {order_id}: fill of {fill} after {filled} exceeds quantity {quantity}")


_LIVE = frozenset({OrderStatus.PENDING, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED})


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """What the executor knows about one order; every change returns a new record."""

    order_id: str
    quantity: Decimal
    status: OrderStatus = OrderStatus.PENDING
    filled_quantity: Decimal = Decimal(0)
    notional: Decimal = Decimal(0)
    """Sum of quantity * price over the fills; kept exact so the average is derived, not accumulated."""
    fees: Decimal = Decimal(0)
    fill_ids: frozenset[str] = frozenset()
    venue_order_id: str | None = None
    reason: str = ""

    @property
    def average_price(self) -> Decimal | None:
        return self.notional / self.filled_quantity if self.filled_quantity else None

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_quantity


def apply_accept(record: OrderRecord, venue_order_id: str) -> OrderRecord:
    """The venue acknowledged the order. A late or repeated acknowledgement of a live order is a no-op."""
    if record.status is OrderStatus.PENDING:
        return replace(record, status=OrderStatus.OPEN, venue_order_id=venue_order_id)
    if record.status in _LIVE:
        return replace(record, venue_order_id=record.venue_order_id or venue_order_id)
    raise IllegalTransition(record.order_id, record.status, "accept")


def apply_fill(
    record: OrderRecord, fill_id: str, quantity: Decimal, price: Decimal, fee: Decimal
) -> OrderRecord:
    """Add one fill; the same `fill_id` applied again changes nothing, even once the order is Filled."""
    if fill_id in record.fill_ids:
        return record
    if quantity <= 0 or price <= 0 or fee < 0:
        raise ValueError(f"fill {fill_id}: quantity and price must be positive and the fee not negative")
    if record.status not in _LIVE:
        raise IllegalTransition(record.order_id, record.status, f"fill {fill_id}")
    filled = record.filled_quantity + quantity
    if filled > record.quantity:
        raise Overfill(record.order_id, record.filled_quantity, quantity, record.quantity)
    return replace(
        record,
        status=OrderStatus.FILLED if filled == record.quantity else OrderStatus.PARTIALLY_FILLED,
        filled_quantity=filled,
        notional=record.notional + quantity * price,
        fees=record.fees + fee,
        fill_ids=record.fill_ids | {fill_id},
    )


def apply_cancel(record: OrderRecord, reason: str = "") -> OrderRecord:
    """Cancel a live order, keeping what already filled; cancelling a cancelled order is a no-op."""
    if record.status is OrderStatus.CANCELLED:
        return record
    if record.status not in _LIVE:
        raise IllegalTransition(record.order_id, record.status, "cancel")
    return replace(record, status=OrderStatus.CANCELLED, reason=reason)


def apply_reject(record: OrderRecord, reason: str = "") -> OrderRecord:
    """Only an order the venue has not yet acknowledged can be rejected; a repeat is a no-op."""
    if record.status is OrderStatus.REJECTED:
        return record
    if record.status is not OrderStatus.PENDING:
        raise IllegalTransition(record.order_id, record.status, "reject")
    return replace(record, status=OrderStatus.REJECTED, reason=reason)
