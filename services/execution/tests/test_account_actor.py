"""An account session against fake store and venue: exactly-once sending, halts, venue errors, paper state."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from tradeplane.contracts import (
    HaltEngaged,
    HaltScope,
    OrderAccepted,
    OrderFailed,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    OrderType,
    RejectCode,
    Ticker,
    VenueError,
    VenueErrorCategory,
    VenueSucceeded,
    new_meta,
)
from tradeplane.execution.adapters.paper_venue import tick_of
from tradeplane.execution.adapters.store import Unfinished
from tradeplane.execution.adapters.venue import VenueCallError, client_order_id_for
from tradeplane.execution.domain.order_state import SendState
from tradeplane.execution.halts import HaltBook
from tradeplane.execution.outcomes import OrderContext, TrackedOrder, new_record
from tradeplane.execution.recovery import STALE_SENDING, RetryLater

from .fakes import NOW, Harness, account, approval

NETWORK = VenueCallError(VenueErrorCategory.NETWORK, True, "NetworkError: timed out")
FUNDS = VenueCallError(VenueErrorCategory.INSUFFICIENT_FUNDS, False, "InsufficientFunds: no money")


def global_halt() -> HaltEngaged:
    return HaltEngaged(meta=new_meta("test"), scope=HaltScope.GLOBAL, reason="drill", actor="ops")


def btc_ticker(bid: str = "64999.00", ask: str = "65001.00") -> Ticker:
    last = str((Decimal(bid) + Decimal(ask)) / 2)
    return Ticker(
        meta=new_meta("test"), venue="paper", symbol="BTC/USDT", bid=bid, ask=ask, last=last, at=NOW
    )


@pytest.fixture
def h() -> Harness:
    return Harness()


async def test_market_order_is_sent_once_and_reported_accepted_then_filled(h: Harness) -> None:
    acct = h.store.add(account())
    session = h.session(acct)

    await session.approve(approval(acct))

    assert len(h.venue.submitted) == 1
    assert [type(e).__name__ for _, e in h.store.events] == ["OrderAccepted", "OrderFilled"]
    assert h.venue.submitted[0].client_order_id == client_order_id_for(h.venue.submitted[0].order_id)


async def test_approval_of_an_order_already_sent_is_not_sent_again(h: Harness) -> None:
    acct = h.store.add(account())
    session = h.session(acct)
    msg = approval(acct)
    await session.approve(msg)

    await session.approve(msg.model_copy(update={"meta": new_meta("test")}))

    assert len(h.venue.submitted) == 1


async def test_global_halt_rejects_with_kill_switch_without_calling_the_venue(h: Harness) -> None:
    acct = h.store.add(account())
    h.halts.engage(global_halt())

    await h.session(acct).approve(approval(acct))

    assert h.venue.submitted == []
    assert [e.code for e in h.store.of(OrderRejected)] == [RejectCode.KILL_SWITCH]


async def test_disabled_user_is_rejected_with_user_disabled(h: Harness) -> None:
    acct = h.store.add(account())
    h.halts.disable(acct.user_id, NOW)

    await h.session(acct).approve(approval(acct))

    assert h.venue.submitted == []
    assert [e.code for e in h.store.of(OrderRejected)] == [RejectCode.USER_DISABLED]


async def test_halt_engaged_while_the_order_is_marked_sending_stops_it_before_the_venue(h: Harness) -> None:
    acct = h.store.add(account())
    h.store.on_mark_sending = lambda: h.halts.engage(global_halt())

    await h.session(acct).approve(approval(acct))

    assert h.venue.submitted == []
    assert [e.code for e in h.store.of(OrderRejected)] == [RejectCode.KILL_SWITCH]


async def test_order_left_sending_by_a_crash_is_looked_up_and_not_resent_when_the_venue_has_it(
    h: Harness,
) -> None:
    acct = h.store.add(account())
    msg = approval(acct)
    await h.crashed_while_sending(msg, landed=True)

    await h.session(acct).approve(msg)

    assert len(h.venue.submitted) == 1
    assert [type(e).__name__ for _, e in h.store.events] == ["OrderAccepted", "OrderFilled"]


async def test_order_left_sending_by_a_crash_is_sent_when_the_venue_does_not_know_it(h: Harness) -> None:
    acct = h.store.add(account())
    msg = approval(acct)
    await h.crashed_while_sending(msg, landed=False)

    await h.session(acct).approve(msg)

    assert len(h.venue.submitted) == 1
    assert h.store.rows[msg.order_id] == "done"


@pytest.mark.parametrize(
    ("landed", "submits"), [(True, 1), (False, 2)], ids=["landed-is-looked-up", "lost-is-sent-again"]
)
async def test_network_error_on_a_submit_is_resolved_by_lookup_and_resent_only_when_it_did_not_land(
    h: Harness, landed: bool, submits: int
) -> None:
    acct = h.store.add(account())
    h.venue.submit_errors = [(NETWORK, landed)]

    await h.session(acct).approve(approval(acct))

    assert len(h.venue.submitted) == submits
    assert len(h.store.of(OrderFilled)) == 1
    assert [e.category for e in h.store.of(VenueError)] == [VenueErrorCategory.NETWORK]


async def test_success_after_venue_errors_publishes_venue_succeeded(h: Harness) -> None:
    acct = h.store.add(account())
    h.venue.submit_errors = [(NETWORK, False)]

    await h.session(acct).approve(approval(acct))

    assert len(h.store.of(VenueSucceeded)) == 1


async def test_insufficient_funds_at_the_venue_fails_the_order_with_that_code(h: Harness) -> None:
    acct = h.store.add(account())
    h.venue.submit_errors = [(FUNDS, False)]

    await h.session(acct).approve(approval(acct))

    assert [e.code for e in h.store.of(OrderFailed)] == [RejectCode.INSUFFICIENT_FUNDS]
    assert len(h.venue.submitted) == 1


async def test_lookup_failing_after_a_network_error_leaves_the_order_for_redelivery(h: Harness) -> None:
    acct = h.store.add(account())
    msg = approval(acct)
    h.venue.submit_errors = [(NETWORK, False)]

    async def unreachable(order: object) -> None:
        raise NETWORK

    h.venue.lookup = unreachable  # type: ignore[method-assign]

    with pytest.raises(RetryLater):
        await h.session(acct).approve(msg)
    assert h.store.rows[msg.order_id] == "sending"


async def test_quantity_is_rounded_down_to_the_market_step_before_sending(h: Harness) -> None:
    acct = h.store.add(account())

    await h.session(acct).approve(approval(acct, quantity="0.0123456789"))

    assert h.venue.submitted[0].quantity == Decimal("0.01234")


async def test_order_for_another_users_account_is_rejected_as_not_found(h: Harness) -> None:
    acct = h.store.add(account())
    stranger = approval(account())

    await h.session(acct).approve(stranger.model_copy(update={"account_id": acct.id}))

    assert [e.code for e in h.store.of(OrderRejected)] == [RejectCode.ACCOUNT_NOT_FOUND]


async def test_paper_market_buy_fills_at_the_ask_and_stores_the_engine_with_the_order(h: Harness) -> None:
    acct = h.store.add(account("paper"))
    h.tickers.update(btc_ticker())

    await h.session(acct).approve(approval(acct, quantity="0.01"))

    [fill] = h.store.of(OrderFilled)
    assert fill.price == Decimal("65001.00")
    assert h.store.paper[acct.id]["balances"]["BTC"] == "0.01"


async def test_failed_commit_reloads_the_paper_engine_so_the_redelivered_approval_runs_once(
    h: Harness,
) -> None:
    acct = h.store.add(account("paper"))
    h.tickers.update(btc_ticker())
    session = h.session(acct)
    msg = approval(acct, quantity="0.01")
    h.store.fail_next_commit = True

    with pytest.raises(ConnectionError):
        await session.approve(msg)
    await session.approve(msg)

    assert h.store.paper[acct.id]["balances"]["BTC"] == "0.01"
    assert len(h.store.of(OrderFilled)) == 1


async def test_paper_limit_order_fills_on_a_crossing_tick(h: Harness) -> None:
    acct = h.store.add(account("paper"))
    h.tickers.update(btc_ticker())
    session = h.session(acct)
    msg = approval(acct, type=OrderType.LIMIT, quantity="0.01", price=Decimal("60000"))
    await session.approve(msg)
    assert [type(e) for _, e in h.store.events] == [OrderAccepted]

    crossing = btc_ticker("59990.00", "59995.00").model_copy(update={"at": NOW + timedelta(seconds=1)})
    await session.tick(tick_of(crossing))

    [fill] = h.store.of(OrderFilled)
    assert (fill.price, fill.liquidity.value) == (Decimal("60000"), "maker")
    assert session.open == {}


async def test_reconcile_fails_a_stale_sending_order_the_venue_never_saw(h: Harness) -> None:
    acct = h.store.add(account())
    msg = approval(acct)
    ctx = OrderContext.of(msg, 0)
    stale = Unfinished(
        TrackedOrder(ctx, new_record(ctx)), SendState.SENDING, NOW - STALE_SENDING - timedelta(seconds=1)
    )
    h.store.unfinished_rows[acct.id] = [stale]

    await h.session(acct).ensure_started()

    assert [e.code for e in h.store.of(OrderFailed)] == [RejectCode.VENUE_ERROR]


async def test_reconcile_picks_up_open_orders_and_what_the_venue_says_about_them(h: Harness) -> None:
    acct = h.store.add(account())
    msg = approval(acct, type=OrderType.LIMIT, price=Decimal("90"))
    ctx = OrderContext.of(msg, 0)
    record = new_record(ctx)
    h.store.unfinished_rows[acct.id] = [Unfinished(TrackedOrder(ctx, record), SendState.SENT, NOW)]

    session = h.session(acct)
    await session.ensure_started()

    assert list(session.open) == [msg.order_id]
    assert session.open[msg.order_id].record.status is OrderStatus.PENDING


async def test_order_approved_after_a_release_this_executor_has_not_heard_is_sent(h: Harness) -> None:
    async def bucket_without_halts(key: str) -> HaltEngaged | None:
        return None

    h.halts = HaltBook(heartbeat_timeout=0, read=bucket_without_halts)
    h.halts.engage(global_halt())  # the release event is late; the bucket is already empty
    acct = h.store.add(account())

    await h.session(acct).approve(approval(acct))

    assert len(h.venue.submitted) == 1
    assert h.store.of(OrderRejected) == []
