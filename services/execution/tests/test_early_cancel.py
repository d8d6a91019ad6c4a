"""A cancel that reaches the executor before its order's approval: the order ends Cancelled, unsent."""

from __future__ import annotations

from uuid import UUID

import pytest
from tradeplane.contracts import (
    CancelOrder,
    OrderAccepted,
    OrderApproved,
    OrderCanceled,
    OrderStatus,
    OrderType,
    new_meta,
)
from tradeplane.execution.account_actor import AccountActor
from tradeplane.execution.adapters.accounts import Account

from .fakes import NOW, Harness, account, approval


@pytest.fixture
def h() -> Harness:
    return Harness()


def cancel_of(msg: OrderApproved) -> CancelOrder:
    return CancelOrder(
        meta=new_meta("gateway"), order_id=msg.order_id, user_id=msg.user_id, account_id=msg.account_id
    )


def limit(acct: Account, **more: object) -> OrderApproved:
    return approval(acct, type=OrderType.LIMIT, price="20000", quantity="0.01", **more)


def status(h: Harness, order_id: UUID) -> OrderStatus:
    return h.store.records[order_id].status


async def cancelled_early(h: Harness, acct: Account) -> tuple[AccountActor, OrderApproved]:
    """A session of `acct` and a limit order whose cancel the session heard before its approval."""
    session, msg = h.session(acct), limit(acct)
    await session.cancel(cancel_of(msg))
    return session, msg


async def test_cancel_before_the_approval_ends_the_order_cancelled_without_calling_the_venue(
    h: Harness,
) -> None:
    session, msg = await cancelled_early(h, h.store.add(account()))

    await session.approve(msg)

    assert h.venue.submitted == []
    assert status(h, msg.order_id) is OrderStatus.CANCELLED
    [event] = h.store.of(OrderCanceled)
    assert (event.order_id, event.reason) == (msg.order_id, "user")
    assert h.store.of(OrderAccepted) == []


async def test_paper_order_cancelled_before_its_approval_never_rests_in_the_engine(h: Harness) -> None:
    acct = h.store.add(account("paper"))
    session, msg = await cancelled_early(h, acct)

    await session.approve(msg)

    assert status(h, msg.order_id) is OrderStatus.CANCELLED
    assert h.store.paper[acct.id]["orders"] == []
    assert session.open == {}


async def test_a_repeated_early_cancel_and_a_redelivered_approval_emit_one_cancelled_event(
    h: Harness,
) -> None:
    session, msg = await cancelled_early(h, h.store.add(account()))

    await session.cancel(cancel_of(msg))
    await session.approve(msg)
    await session.approve(msg.model_copy(update={"meta": new_meta("risk")}))

    assert len(h.store.cancels) == 1
    assert len(h.store.of(OrderCanceled)) == 1
    assert h.venue.submitted == []


async def test_cancel_after_the_order_rests_cancels_it_at_the_venue(h: Harness) -> None:
    acct = h.store.add(account())
    session, msg = h.session(acct), limit(acct)
    await session.approve(msg)

    await session.cancel(cancel_of(msg))

    assert [o.order_id for o in h.venue.cancelled] == [msg.order_id]
    assert status(h, msg.order_id) is OrderStatus.CANCELLED
    assert h.store.cancels == {}


async def test_cancel_of_a_finished_order_is_not_remembered(h: Harness) -> None:
    acct = h.store.add(account())
    session, msg = h.session(acct), approval(acct)  # a market order: filled at once
    await session.approve(msg)

    await session.cancel(cancel_of(msg))

    assert h.store.cancels == {}
    assert h.venue.cancelled == []
    assert status(h, msg.order_id) is OrderStatus.FILLED


async def test_early_cancel_wins_over_a_halt(h: Harness) -> None:
    acct = h.store.add(account())
    session, msg = await cancelled_early(h, acct)

    h.halts.disable(acct.user_id, NOW)
    await session.approve(msg)

    assert status(h, msg.order_id) is OrderStatus.CANCELLED


@pytest.mark.parametrize("landed", [False, True], ids=["venue-lacks-it", "venue-has-it"])
async def test_send_interrupted_by_a_crash_then_cancelled_is_never_resent_and_cancelled_where_it_is(
    h: Harness, landed: bool
) -> None:
    acct = h.store.add(account())
    msg = limit(acct)
    await h.crashed_while_sending(msg, landed=landed)
    session = h.session(acct)

    await session.cancel(cancel_of(msg))
    await session.approve(msg)

    assert len(h.venue.submitted) == (1 if landed else 0)
    assert [o.order_id for o in h.venue.cancelled] == ([msg.order_id] if landed else [])
    assert status(h, msg.order_id) is OrderStatus.CANCELLED


async def test_old_early_cancels_are_pruned(h: Harness) -> None:
    await cancelled_early(h, h.store.add(account()))

    pruned = await h.store.prune_cancels(NOW.replace(year=NOW.year + 1))

    assert pruned == 1
    assert h.store.cancels == {}
