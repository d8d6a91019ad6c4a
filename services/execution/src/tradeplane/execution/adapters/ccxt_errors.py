"""ccxt's exception hierarchy folded into the platform's venue error categories (`domain/errors.py`)."""

from __future__ import annotations

from ccxt.base import errors as ccxt_errors
from tradeplane.contracts import VenueErrorCategory

from ..domain.errors import UNKNOWN, VenueErrorClass

_C = VenueErrorCategory


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


def classify(error: BaseException) -> VenueErrorClass:
    """The category of a ccxt (or HTTP-layer) exception, and whether the call may be tried again."""
    for cls in type(error).__mro__:
        found = _TABLE.get(cls)
        if found is not None:
            return found
    return UNKNOWN
