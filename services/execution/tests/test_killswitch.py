"""Applying a halt: paper orders cancelled in one commit with the ack first, live ones at the venue."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest
from tradeplane.contracts import HaltAck, HaltEngaged, HaltScope, OrderCanceled, OrderType, new_meta
from tradeplane.execution.account_actor import AccountActor
from tradeplane.execution.actors import ActorPool
from tradeplane.execution.adapters.accounts import Account
from tradeplane.execution.killswitch import KillSwitch

from .fakes import Harness, account, approval
from .test_account_actor import btc_ticker


def halt(user: UUID | None = None) -> HaltEngaged:
    scope = HaltScope.GLOBAL if user is None else HaltScope.USER
    return HaltEngaged(meta=new_meta("risk"), scope=scope, user_id=user, reason="drill", actor="ops")


class Setup:
    def __init__(self) -> None:
        self.h = Harness()
        self.h.tickers.update(btc_ticker())
        self.pool: ActorPool[UUID, AccountActor] = ActorPool(
            lambda a: self.h.session(self.h.store.accounts[a])
        )
        self.killswitch = KillSwitch(self.pool, self.h.store, "exec-7", live_timeout=5)

    async def resting(self, acct: Account) -> None:
        msg = approval(acct, type=OrderType.LIMIT, quantity="0.01", price=Decimal("60000"))
        await self.pool.post(acct.id, lambda s: s.approve(msg))

    async def engage(self, event: HaltEngaged) -> int:
        self.h.halts.engage(event)
        return await self.killswitch.apply(event)


async def test_global_halt_is_acknowledged_first_then_every_paper_order_cancelled_in_one_commit() -> None:
    s = Setup()
    accounts = [s.h.store.add(account("paper")) for _ in range(3)]
    for acct in accounts:
        await s.resting(acct)
    event = halt()
    before = len(s.h.store.events)

    cancelled = await s.engage(event)

    assert cancelled == 3
    assert s.h.store.halt_commits == [3]
    [(subject, ack), *cancels] = s.h.store.events[before:]
    assert isinstance(ack, HaltAck)
    assert (subject, ack.cancelled_orders, ack.halt_event_id) == (
        "tp.halt.ack.exec-7",
        3,
        event.meta.event_id,
    )
    assert [type(e) for _, e in cancels] == [OrderCanceled] * 3
    assert all(not a.state.open for a in s.pool.actors())
    assert all(s.h.store.paper[a.id]["orders"] == [] for a in accounts)


async def test_user_halt_cancels_only_that_users_orders() -> None:
    s = Setup()
    mine, other = s.h.store.add(account("paper")), s.h.store.add(account("paper"))
    for acct in (mine, other):
        await s.resting(acct)

    await s.engage(halt(mine.user_id))

    assert [e.account_id for e in s.h.store.of(OrderCanceled)] == [mine.id]
    assert s.pool.get(other.id).state.open


async def test_live_orders_are_cancelled_at_the_venue_and_counted_in_the_ack() -> None:
    s = Setup()
    acct = s.h.store.add(account())
    await s.resting(acct)

    cancelled = await s.engage(halt())

    assert cancelled == 1
    assert len(s.h.venue.cancelled) == 1
    assert [a.cancelled_orders for a in s.h.store.of(HaltAck)] == [1]


async def test_halt_redelivered_after_a_failed_commit_cancels_the_reloaded_orders() -> None:
    s = Setup()
    acct = s.h.store.add(account("paper"))
    await s.resting(acct)
    event = halt()
    s.h.store.fail_next_halt = True
    with pytest.raises(ConnectionError):
        await s.engage(event)

    cancelled = await s.engage(event)

    assert cancelled == 1
    assert [e.account_id for e in s.h.store.of(OrderCanceled)] == [acct.id]


async def test_halt_with_nothing_open_is_still_acknowledged() -> None:
    s = Setup()

    await s.engage(halt())

    assert [a.cancelled_orders for a in s.h.store.of(HaltAck)] == [0]


async def test_a_halt_applied_twice_acknowledges_with_the_same_event() -> None:
    s = Setup()
    event = halt()

    await s.engage(event)
    await s.engage(event)

    first, second = s.h.store.of(HaltAck)
    assert first.meta.event_id == second.meta.event_id != event.meta.event_id
