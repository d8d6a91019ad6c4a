"""The order view's lifecycle transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tradeplane.contracts import OrderStatus, RejectCode
from tradeplane.gateway.domain import projection
from tradeplane.gateway.domain.projection import Progress

T0 = datetime(2026, 1, 1, tzinfo=UTC)
D = Decimal


def pending(quantity: str = "1") -> Progress:
    return Progress(OrderStatus.PENDING, D(quantity))


def test_accepted_pending_order_is_open() -> None:
    assert projection.accepted(pending()).status is OrderStatus.OPEN


def test_acceptance_after_a_fill_keeps_it_partially_filled() -> None:
    p = projection.filled(pending(), D("0.4"), D("100"), D("0"), T0)

    assert projection.accepted(p).status is OrderStatus.PARTIALLY_FILLED


def test_fill_before_acceptance_counts() -> None:
    p = projection.filled(pending(), D("0.4"), D("100"), D("0.1"), T0)

    assert (p.status, p.filled_quantity, p.fee) == (OrderStatus.PARTIALLY_FILLED, D("0.4"), D("0.1"))


def test_fills_accumulate_to_filled_with_a_volume_weighted_average_price() -> None:
    p = projection.filled(pending(), D("0.25"), D("100"), D("0.01"), T0)
    p = projection.filled(p, D("0.75"), D("200"), D("0.02"), T0 + timedelta(seconds=1))

    assert (p.status, p.average_price, p.fee, p.executed_at) == (
        OrderStatus.FILLED,
        D("175"),
        D("0.03"),
        T0 + timedelta(seconds=1),
    )


def test_filled_order_is_not_cancelled_afterwards() -> None:
    p = projection.filled(pending(), D("1"), D("100"), D("0"), T0)

    assert projection.canceled(p).status is OrderStatus.FILLED


def test_late_fill_of_a_cancelled_order_counts_but_keeps_it_cancelled() -> None:
    p = projection.filled(projection.canceled(pending()), D("0.5"), D("100"), D("0"), T0)

    assert (p.status, p.filled_quantity) == (OrderStatus.CANCELLED, D("0.5"))


def test_rejection_records_code_and_reason() -> None:
    p = projection.rejected(pending(), RejectCode.DAILY_LOSS, "daily loss limit reached")

    assert (p.status, p.reject_reason) == (OrderStatus.REJECTED, "DAILY_LOSS: daily loss limit reached")


def test_venue_failure_rejects_with_an_error() -> None:
    p = projection.failed(projection.accepted(pending()), RejectCode.VENUE_ERROR, "exchange down")

    assert (p.status, p.error, p.reject_reason) == (OrderStatus.REJECTED, "VENUE_ERROR: exchange down", None)


def test_rejection_after_cancellation_changes_nothing() -> None:
    p = projection.canceled(pending())

    assert projection.rejected(p, RejectCode.KILL_SWITCH, "halted") == p


def test_order_without_fills_has_no_average_price() -> None:
    assert pending().average_price is None


def test_rejection_and_venue_failure_each_keep_their_code() -> None:
    refused = projection.rejected(pending(), RejectCode.DAILY_LOSS, "daily loss limit reached")
    failed = projection.failed(projection.accepted(pending()), RejectCode.INSUFFICIENT_FUNDS, "")

    assert (refused.reject_code, failed.reject_code, failed.error) == (
        RejectCode.DAILY_LOSS,
        RejectCode.INSUFFICIENT_FUNDS,
        "INSUFFICIENT_FUNDS",
    )
