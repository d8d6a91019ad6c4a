"""Booking one fill onto a position kept in storage, whose state carries no fill ids.

The storage keeps each booked fill id in its own table (the idempotency key), so the stored ledger
state leaves them out: it stays the size of the open lots however many fills the position has seen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from tradeplane.contracts import Side

from .exits import FillEffect, effect_of
from .fills import FeeConversionError, Fill, Rates, fee_in_quote
from .ledger import PositionKey
from .lots import Book, BookResult, Position

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Applied:
    """A booked fill: what it did, the position after it, and the state to store."""

    result: BookResult
    position: Position
    state: dict[str, Any]
    opened_at: datetime | None
    """When the current round trip opened; None when flat."""
    effect: FillEffect
    """What the fill opened and closed, and the net PnL of what it closed."""


def bookable(fill: Fill, rates: Rates | None) -> tuple[Fill, Decimal | None]:
    """The fill to book and its fee in quote currency; a fee no rate converts is booked as zero (None)."""
    try:
        return fill, fee_in_quote(fill, rates)
    except FeeConversionError:
        return replace(fill, fee=_ZERO, fee_currency=fill.quote), None


def apply_fill(state: dict[str, Any] | None, fill: Fill, rates: Rates | None = None) -> Applied:
    """Restore the stored position (None or {} when new), book `fill` and return the new state."""
    book = Book(rates)
    if state:
        book.restore({**state, "fill_ids": []})
    key = PositionKey(fill.user_id, fill.account_id, fill.symbol)
    before = book.position(key)
    result = book.apply(fill)
    after = book.position(key)
    effect = effect_of(before, after, fill.side is Side.BUY, fill.quantity, result.fee, result.realized)
    new_state = book.state_of(key) or {}
    new_state.pop("fill_ids", None)
    trip = new_state.get("round_trip")
    opened_at = datetime.fromisoformat(trip["entry_at"]) if trip else None
    return Applied(result, after, new_state, opened_at, effect)
