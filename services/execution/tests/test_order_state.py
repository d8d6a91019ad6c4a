"""The order state machine: legal and illegal transitions, fill accumulation and idempotent fills."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tradeplane.contracts import OrderStatus
from tradeplane.execution.domain.order_state import (
    IllegalTransition,
    OrderRecord,
    Overfill,
    apply_accept,
    apply_cancel,
    apply_fill,
    apply_reject,
)

Maker = Callable[[], OrderRecord]


def pending(quantity: str = "1") -> OrderRecord:
    return OrderRecord(order_id="o1", quantity=Decimal(quantity))


def fill(
    record: OrderRecord, fill_id: str, quantity: str, price: str = "100", fee: str = "0.1"
) -> OrderRecord:
    return apply_fill(record, fill_id, Decimal(quantity), Decimal(price), Decimal(fee))


def filled() -> OrderRecord:
    return fill(apply_accept(pending(), "v1"), "f1", "1")


def cancelled() -> OrderRecord:
    return apply_cancel(apply_accept(pending(), "v1"), "user")


def rejected() -> OrderRecord:
    return apply_reject(pending(), "no funds")


def test_new_record_is_pending_with_nothing_filled() -> None:
    record = pending()

    assert (record.status, record.filled_quantity, record.average_price) == (
        OrderStatus.PENDING,
        Decimal(0),
        None,
    )


def test_accept_opens_a_pending_order_with_the_venue_id() -> None:
    record = apply_accept(pending(), "v1")

    assert (record.status, record.venue_order_id) == (OrderStatus.OPEN, "v1")


def test_repeated_accept_of_an_open_order_changes_nothing() -> None:
    record = apply_accept(pending(), "v1")

    assert apply_accept(record, "v1") == record


def test_late_accept_after_a_partial_fill_keeps_it_partially_filled() -> None:
    record = fill(pending(), "f1", "0.4")

    record = apply_accept(record, "v1")

    assert (record.status, record.venue_order_id) == (OrderStatus.PARTIALLY_FILLED, "v1")


def test_partial_fill_moves_an_open_order_to_partially_filled() -> None:
    record = fill(apply_accept(pending(), "v1"), "f1", "0.4")

    assert (record.status, record.filled_quantity) == (OrderStatus.PARTIALLY_FILLED, Decimal("0.4"))


def test_fills_up_to_the_quantity_make_it_filled() -> None:
    record = fill(fill(apply_accept(pending(), "v1"), "f1", "0.4"), "f2", "0.6")

    assert record.status is OrderStatus.FILLED


def test_pending_order_can_fill_outright() -> None:
    assert fill(pending(), "f1", "1").status is OrderStatus.FILLED


def test_average_price_is_volume_weighted_and_fees_add_up() -> None:
    record = fill(fill(pending("3"), "f1", "1", price="100", fee="0.1"), "f2", "2", price="130", fee="0.26")

    assert record.average_price == Decimal("120")
    assert record.fees == Decimal("0.36")


def test_same_fill_id_applied_twice_changes_nothing() -> None:
    once = fill(pending(), "f1", "0.4")

    assert fill(once, "f1", "0.4") == once


def test_redelivered_fill_of_a_filled_order_changes_nothing() -> None:
    record = filled()

    assert fill(record, "f1", "1") == record


def test_fill_beyond_the_quantity_is_an_overfill() -> None:
    record = fill(pending(), "f1", "0.7")

    with pytest.raises(Overfill):
        fill(record, "f2", "0.4")


@pytest.mark.parametrize(
    ("quantity", "price", "fee"), [("0", "100", "0"), ("1", "0", "0"), ("1", "100", "-1")]
)
def test_fill_with_a_non_positive_quantity_or_price_or_negative_fee_is_refused(
    quantity: str, price: str, fee: str
) -> None:
    with pytest.raises(ValueError):
        fill(pending(), "f1", quantity, price, fee)


@pytest.mark.parametrize("status_of", [pending, lambda: apply_accept(pending(), "v1")])
def test_live_order_can_be_cancelled(status_of: Maker) -> None:
    record = apply_cancel(status_of(), "user")

    assert (record.status, record.reason) == (OrderStatus.CANCELLED, "user")


def test_cancel_keeps_the_partial_fill() -> None:
    record = apply_cancel(fill(pending(), "f1", "0.4"))

    assert (record.status, record.filled_quantity) == (OrderStatus.CANCELLED, Decimal("0.4"))


def test_cancelling_a_cancelled_order_changes_nothing() -> None:
    record = cancelled()

    assert apply_cancel(record, "again") == record


def test_pending_order_can_be_rejected() -> None:
    record = rejected()

    assert (record.status, record.reason) == (OrderStatus.REJECTED, "no funds")


def test_rejecting_a_rejected_order_changes_nothing() -> None:
    record = rejected()

    assert apply_reject(record, "again") == record


@pytest.mark.parametrize(
    "live", [lambda: apply_accept(pending(), "v1"), lambda: fill(pending(), "f1", "0.4")]
)
def test_acknowledged_order_cannot_be_rejected(live: Maker) -> None:
    with pytest.raises(IllegalTransition):
        apply_reject(live(), "late")


@pytest.mark.parametrize("terminal", [filled, cancelled, rejected])
def test_terminal_order_cannot_be_accepted(terminal: Maker) -> None:
    with pytest.raises(IllegalTransition):
        apply_accept(terminal(), "v2")


@pytest.mark.parametrize("terminal", [filled, cancelled, rejected])
def test_terminal_order_cannot_take_a_new_fill(terminal: Maker) -> None:
    with pytest.raises(IllegalTransition):
        fill(terminal(), "f9", "0.1")


@pytest.mark.parametrize("terminal", [filled, rejected])
def test_filled_or_rejected_order_cannot_be_cancelled(terminal: Maker) -> None:
    with pytest.raises(IllegalTransition):
        apply_cancel(terminal())


@pytest.mark.parametrize("terminal", [filled, cancelled])
def test_filled_or_cancelled_order_cannot_be_rejected(terminal: Maker) -> None:
    with pytest.raises(IllegalTransition):
        apply_reject(terminal())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 400)), max_size=30))
def test_redelivered_fills_never_push_the_filled_quantity_past_the_order(
    deliveries: list[tuple[int, int]],
) -> None:
    record = pending("10")
    for fill_number, hundredths in deliveries:
        try:
            record = fill(record, f"f{fill_number}", str(Decimal(hundredths) / 100))
        except (Overfill, IllegalTransition):
            continue
        assert record.filled_quantity <= record.quantity
        assert len(record.fill_ids) <= 6
    expected = {Decimal(0): OrderStatus.PENDING, record.quantity: OrderStatus.FILLED}
    assert record.status is expected.get(record.filled_quantity, OrderStatus.PARTIALLY_FILLED)
