"""Venue error categories as the platform acts on them: whether to retry, and the code a failure carries."""

from __future__ import annotations

from dataclasses import dataclass

from tradeplane.contracts import RejectCode, VenueErrorCategory

_C = VenueErrorCategory


@dataclass(frozen=True, slots=True)
class VenueErrorClass:
    category: VenueErrorCategory
    retryable: bool
    """The call may be tried again (after backoff, or a nonce jump). For placing an order that means:
    after asking the venue, by client order id, whether the first attempt landed."""


UNKNOWN = VenueErrorClass(_C.EXCHANGE, retryable=False)
"""An error nothing classifies: not retried."""

_REJECT_CODES = {
    _C.INSUFFICIENT_FUNDS: RejectCode.INSUFFICIENT_FUNDS,
    _C.INVALID_ORDER: RejectCode.INVALID_ORDER,
    _C.RATE_LIMIT: RejectCode.RATE_LIMIT,
}


def reject_code(category: VenueErrorCategory) -> RejectCode:
    """The code an `OrderFailed` carries for a venue error of this category."""
    return _REJECT_CODES.get(category, RejectCode.VENUE_ERROR)
