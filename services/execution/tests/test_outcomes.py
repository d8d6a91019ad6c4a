"""Venue reports folded into order records and events: accepts, deduplicated fills, ends, refusals."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.contracts import (
    LiquiditySide,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    OrderType,
    RejectCode,
)
from tradeplane.execution.adapters.venue import VenueFillReport, VenueOrderReport
from tradeplane.execution.outcomes import OrderContext, apply_report, new_record

from .fakes import NOW, account, approval

CTX = OrderContext.of(approval(account(), type=OrderType.LIMIT, quantity="2", price=Decimal("100")), 3)


def fill(fill_id: str, quantity: str) -> VenueFillReport:
    return VenueFillReport(
        fill_id, Decimal(quantity), Decimal(100), Decimal("0.1"), "USDT", LiquiditySide.MAKER, NOW
    )


def report(status: OrderStatus, *fills: VenueFillReport, code: RejectCode | None = None) -> VenueOrderReport:
    return VenueOrderReport(
        CTX.client_order_id, "v-1", status, fills=fills, reason="venue says", reject_code=code
    )


def test_first_report_accepts_and_each_fill_becomes_one_filled_event_with_the_running_total() -> None:
    outcome = apply_report(
        CTX, new_record(CTX), report(OrderStatus.FILLED, fill("a", "0.5"), fill("b", "1.5"))
    )

    events = [e for _, e in outcome.events]
    assert [type(e) for e in events] == [OrderAccepted, OrderFilled, OrderFilled]
    assert [e.filled_quantity for e in events[1:] if isinstance(e, OrderFilled)] == [
        Decimal("0.5"),
        Decimal("2"),
    ]
    assert outcome.record.status is OrderStatus.FILLED
    assert outcome.send_state == "done"


def test_fills_already_recorded_are_not_reported_again() -> None:
    first = apply_report(CTX, new_record(CTX), report(OrderStatus.PARTIALLY_FILLED, fill("a", "0.5")))

    again = apply_report(CTX, first.record, report(OrderStatus.PARTIALLY_FILLED, fill("a", "0.5")))

    assert again.events == ()
    assert again.fills == ()


def test_cancel_keeps_the_filled_part_and_carries_the_given_reason() -> None:
    partly = apply_report(CTX, new_record(CTX), report(OrderStatus.PARTIALLY_FILLED, fill("a", "0.5")))

    outcome = apply_report(CTX, partly.record, report(OrderStatus.CANCELLED), "kill switch")

    [(subject, event)] = outcome.events
    assert isinstance(event, OrderCanceled)
    assert (event.reason, event.filled_quantity) == ("kill switch", Decimal("0.5"))
    assert subject == f"tp.order.canceled.3.{CTX.user_id}"


def test_venue_refusal_of_a_new_order_is_a_rejection_with_the_venues_code() -> None:
    outcome = apply_report(
        CTX, new_record(CTX), report(OrderStatus.REJECTED, code=RejectCode.INSUFFICIENT_FUNDS)
    )

    [(_, event)] = outcome.events
    assert isinstance(event, OrderRejected)
    assert event.code is RejectCode.INSUFFICIENT_FUNDS
    assert outcome.record.status is OrderStatus.REJECTED


def test_events_continue_the_approvals_correlation() -> None:
    outcome = apply_report(CTX, new_record(CTX), report(OrderStatus.OPEN))

    [(_, event)] = outcome.events
    assert event.meta.correlation_id == CTX.correlation_id
    assert event.meta.causation_id == CTX.causation_id
