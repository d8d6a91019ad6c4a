"""ccxt's exception hierarchy folded into the platform's venue error categories, and whether to retry."""

from __future__ import annotations

from dataclasses import dataclass

from ccxt.base import errors as ccxt_errors
from tradeplane.contracts import RejectCode, VenueErrorCategory

_C = VenueErrorCategory


@dataclass(frozen=True, slots=True)
class VenueErrorClass:
    category: VenueErrorCategory
    retryable: bool
    """The call may be tried again (after backoff, or a nonce jump). For placing an order that means:
    after asking the venue, by client order id, whether the first attempt landed."""


# Looked up along the exception's MRO, so the most specific class listed wins: InvalidNonce and
# RateLimitExceeded are NetworkErrors, BadSymbol a BadRequest, all of them ExchangeError or OperationFailed.
_TABLE: dict[type[BaseException], VenueErrorClass] = {
    ccxt_errors.InvalidNonce: VenueErrorClass(_C.NONCE, retryable=True),
    ccxt_errors.RateLimitExceeded: VenueErrorClass(_C.RATE_LIMIT, retryable=True),
    ccxt_errors.NetworkError: VenueErrorClass(_C.NETWORK, retryable=True),
    ccxt_errors.AuthenticationError: VenueErrorClass(_C.AUTH, retryable=False),
    ccxt_errors.InsufficientFunds: VenueErrorClass(_C.INSUFFICIENT_FUNDS, retryable=False),
    ccxt_errors.InvalidOrder: VenueErrorClass(_C.INVALID_ORDER, retryable=False),
    ccxt_errors.BadRequest: VenueErrorClass(_C.INVALID_ORDER, retryable=False),
    ccxt_errors.ArgumentsRequired: VenueErrorClass(_C.INVALID_ORDER, retryable=False),
    ccxt_errors.ExchangeError: VenueErrorClass(_C.EXCHANGE, retryable=False),
    # An unparseable reply (often a proxy's error page) or a cancel still in flight: transient.
    ccxt_errors.BadResponse: VenueErrorClass(_C.EXCHANGE, retryable=True),
    ccxt_errors.CancelPending: VenueErrorClass(_C.EXCHANGE, retryable=True),
    # Raised by the HTTP layer beneath ccxt when it escapes ccxt's own wrapping.
    TimeoutError: VenueErrorClass(_C.NETWORK, retryable=True),
    ConnectionError: VenueErrorClass(_C.NETWORK, retryable=True),
}
_UNKNOWN = VenueErrorClass(_C.EXCHANGE, retryable=False)

_REJECT_CODES = {
    _C.INSUFFICIENT_FUNDS: RejectCode.INSUFFICIENT_FUNDS,
    _C.INVALID_ORDER: RejectCode.INVALID_ORDER,
    _C.RATE_LIMIT: RejectCode.RATE_LIMIT,
}


def classify(error: BaseException) -> VenueErrorClass:
    for cls in type(error).__mro__:
        found = _TABLE.get(cls)
        if found is not None:
            return found
    return _UNKNOWN


def reject_code(category: VenueErrorCategory) -> RejectCode:
    """The code an `OrderFailed` carries for a venue error of this category."""
    return _REJECT_CODES.get(category, RejectCode.VENUE_ERROR)
