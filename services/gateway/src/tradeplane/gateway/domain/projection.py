"""The order view's lifecycle: how each venue or risk event moves an order, monotonically.

A terminal order (Filled, Cancelled, Rejected) never changes status again; fills are facts and
always count, even when they arrive before the acceptance or after a cancel.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, localcontext

from tradeplane.contracts import OrderStatus, RejectCode


@dataclass(frozen=True, slots=True)
class Progress:
    status: OrderStatus
    quantity: Decimal
    filled_quantity: Decimal = Decimal(0)
    fill_notional: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    executed_at: datetime | None = None
    error: str | None = None
    reject_reason: str | None = None
    reject_code: RejectCode | None = None
    """Why a Rejected order was refused, by risk or by its venue (also written into the texts above)."""

    @property
    def average_price(self) -> Decimal | None:
        if self.filled_quantity <= 0:
            return None
        with localcontext() as ctx:
            ctx.prec = 40
            return self.fill_notional / self.filled_quantity


def accepted(p: Progress) -> Progress:
    return replace(p, status=OrderStatus.OPEN) if p.status is OrderStatus.PENDING else p


def filled(p: Progress, quantity: Decimal, price: Decimal, fee: Decimal, at: datetime) -> Progress:
    total = p.filled_quantity + quantity
    status = p.status
    if not status.is_terminal:
        status = OrderStatus.FILLED if total >= p.quantity else OrderStatus.PARTIALLY_FILLED
    return replace(
        p,
        status=status,
        filled_quantity=total,
        fill_notional=p.fill_notional + quantity * price,
        fee=p.fee + fee,
        executed_at=at if p.executed_at is None else max(p.executed_at, at),
    )


def canceled(p: Progress) -> Progress:
    return p if p.status.is_terminal else replace(p, status=OrderStatus.CANCELLED)


def rejected(p: Progress, code: RejectCode, reason: str) -> Progress:
    if p.status.is_terminal:
        return p
    return replace(p, status=OrderStatus.REJECTED, reject_code=code, reject_reason=_describe(code, reason))


def failed(p: Progress, code: RejectCode, reason: str) -> Progress:
    if p.status.is_terminal:
        return p
    return replace(p, status=OrderStatus.REJECTED, reject_code=code, error=_describe(code, reason))


def _describe(code: RejectCode, reason: str) -> str:
    return f"{code}: {reason}"[:600] if reason else code
