"""Every ccxt exception class lands in the venue error category the platform acts on."""

from __future__ import annotations

import pytest
from ccxt.base import errors as ccxt_errors
from tradeplane.contracts import RejectCode, VenueErrorCategory
from tradeplane.execution.adapters.ccxt_errors import classify
from tradeplane.execution.domain.errors import reject_code

C = VenueErrorCategory

EXPECTED: dict[str, tuple[VenueErrorCategory, bool]] = {
    "BaseError": (C.EXCHANGE, False),
    "ExchangeError": (C.EXCHANGE, False),
    "AuthenticationError": (C.AUTH, False),
    "PermissionDenied": (C.AUTH, False),
    "AccountNotEnabled": (C.AUTH, False),
    "AccountSuspended": (C.AUTH, False),
    "ArgumentsRequired": (C.INVALID_ORDER, False),
    "BadRequest": (C.INVALID_ORDER, False),
    "BadSymbol": (C.INVALID_ORDER, False),
    "OperationRejected": (C.EXCHANGE, False),
    "NoChange": (C.EXCHANGE, False),
    "MarginModeAlreadySet": (C.EXCHANGE, False),
    "MarketClosed": (C.EXCHANGE, False),
    "ManualInteractionNeeded": (C.EXCHANGE, False),
    "RestrictedLocation": (C.EXCHANGE, False),
    "InsufficientFunds": (C.INSUFFICIENT_FUNDS, False),
    "InvalidAddress": (C.EXCHANGE, False),
    "AddressPending": (C.EXCHANGE, False),
    "InvalidOrder": (C.INVALID_ORDER, False),
    "OrderNotFound": (C.INVALID_ORDER, False),
    "OrderNotCached": (C.INVALID_ORDER, False),
    "OrderImmediatelyFillable": (C.INVALID_ORDER, False),
    "OrderNotFillable": (C.INVALID_ORDER, False),
    "DuplicateOrderId": (C.INVALID_ORDER, False),
    "ContractUnavailable": (C.INVALID_ORDER, False),
    "NotSupported": (C.EXCHANGE, False),
    "InvalidProxySettings": (C.EXCHANGE, False),
    "ExchangeClosedByUser": (C.EXCHANGE, False),
    "OperationFailed": (C.EXCHANGE, False),
    "NetworkError": (C.NETWORK, True),
    "DDoSProtection": (C.NETWORK, True),
    "RateLimitExceeded": (C.RATE_LIMIT, True),
    "ExchangeNotAvailable": (C.NETWORK, True),
    "OnMaintenance": (C.NETWORK, True),
    "InvalidNonce": (C.NONCE, True),
    "ChecksumError": (C.NONCE, True),
    "RequestTimeout": (C.NETWORK, True),
    "BadResponse": (C.EXCHANGE, True),
    "NullResponse": (C.EXCHANGE, True),
    "CancelPending": (C.EXCHANGE, True),
    "UnsubscribeError": (C.EXCHANGE, False),
}


def ccxt_error_names() -> list[str]:
    return [name for name in ccxt_errors.__all__ if name != "error_hierarchy"]


def test_every_ccxt_error_class_has_an_expected_category() -> None:
    assert sorted(ccxt_error_names()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ccxt_error_maps_to_its_category_and_retryability(name: str) -> None:
    error = getattr(ccxt_errors, name)("venue said no")

    result = classify(error)

    assert (result.category, result.retryable) == EXPECTED[name]


def test_subclass_defined_outside_ccxt_maps_like_its_ccxt_parent() -> None:
    class KrakenNonceTooLow(ccxt_errors.InvalidNonce):  # type: ignore[misc]
        pass

    assert classify(KrakenNonceTooLow("EAPI:Invalid nonce")).category is C.NONCE


@pytest.mark.parametrize("error", [TimeoutError("read timed out"), ConnectionResetError("reset by peer")])
def test_low_level_network_failure_is_a_retryable_network_error(error: Exception) -> None:
    result = classify(error)

    assert (result.category, result.retryable) == (C.NETWORK, True)


def test_unrelated_exception_is_a_non_retryable_exchange_error() -> None:
    result = classify(KeyError("symbol"))

    assert (result.category, result.retryable) == (C.EXCHANGE, False)


@pytest.mark.parametrize(
    ("category", "code"),
    [
        (C.INSUFFICIENT_FUNDS, RejectCode.INSUFFICIENT_FUNDS),
        (C.INVALID_ORDER, RejectCode.INVALID_ORDER),
        (C.RATE_LIMIT, RejectCode.RATE_LIMIT),
        (C.NONCE, RejectCode.VENUE_ERROR),
        (C.AUTH, RejectCode.VENUE_ERROR),
        (C.NETWORK, RejectCode.VENUE_ERROR),
        (C.EXCHANGE, RejectCode.VENUE_ERROR),
    ],
)
def test_failed_order_carries_the_reject_code_of_its_category(
    category: VenueErrorCategory, code: RejectCode
) -> None:
    assert reject_code(category) is code
