"""The notifier's consumers as registered: an event on its real subject queues one delivery per
subscribed endpoint, once, and wakes the delivery worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import uuid4

import pytest
from faststream.nats import NatsBroker, TestNatsBroker
from tradeplane.contracts import (
    DeadLettered,
    HaltEngaged,
    HaltScope,
    OrderRejected,
    RejectCode,
    UserDisabled,
    new_meta,
    subjects,
)
from tradeplane.notifier import handlers
from tradeplane.notifier.domain.payloads import EventType
from tradeplane.runtime.testing import dead_letters, deliver, wired

from .fakes import FakeFanOut


@dataclass
class Wired:
    broker: NatsBroker
    store: FakeFanOut
    letters: list[DeadLettered]
    wakes: list[None]


@pytest.fixture
async def notifier() -> AsyncIterator[Wired]:
    store = FakeFanOut()
    wakes: list[None] = []
    broker = wired(handlers.SERVICE, handlers.subscriptions(store, lambda: wakes.append(None)))
    letters = dead_letters(broker)
    async with TestNatsBroker(broker) as test_broker:
        yield Wired(test_broker, store, letters, wakes)


async def test_an_event_is_queued_for_its_users_subscribed_endpoints_only(notifier: Wired) -> None:
    user, other = uuid4(), uuid4()
    wanted = notifier.store.endpoint(user, EventType.ORDER_REJECTED)
    notifier.store.endpoint(user, EventType.TRADE_EXIT)
    notifier.store.endpoint(other, EventType.ORDER_REJECTED)
    notifier.store.endpoint(user, EventType.ORDER_REJECTED, enabled=False)
    rejected = OrderRejected(
        meta=new_meta("risk"),
        order_id=uuid4(),
        user_id=user,
        account_id=uuid4(),
        code=RejectCode.MAX_ORDER_NOTIONAL,
        reason="too big",
    )

    await deliver(notifier.broker, subjects.order_rejected(2, user), rejected)

    [(endpoint, payload)] = notifier.store.queued
    assert (endpoint, payload.type, payload.event_id) == (
        wanted,
        EventType.ORDER_REJECTED,
        rejected.meta.event_id,
    )
    assert len(notifier.wakes) == 1


async def test_a_global_halt_is_queued_for_every_users_endpoint(notifier: Wired) -> None:
    endpoints = {notifier.store.endpoint(uuid4(), EventType.KILLSWITCH) for _ in range(3)}
    halt = HaltEngaged(meta=new_meta("risk"), scope=HaltScope.GLOBAL, reason="market chaos", actor="admin")

    await deliver(notifier.broker, subjects.halt_engaged(), halt)

    assert {endpoint for endpoint, _ in notifier.store.queued} == endpoints


async def test_a_redelivered_event_is_queued_once(notifier: Wired) -> None:
    user = uuid4()
    notifier.store.endpoint(user, EventType.USER_DISABLED)
    disabled = UserDisabled(meta=new_meta("risk"), user_id=user, reason="venue errors")

    await deliver(notifier.broker, subjects.user_disabled(user), disabled)
    await deliver(notifier.broker, subjects.user_disabled(user), disabled)

    assert len(notifier.store.queued) == 1
    assert len(notifier.wakes) == 1


async def test_an_event_nobody_subscribed_to_wakes_no_worker(notifier: Wired) -> None:
    user = uuid4()

    await deliver(
        notifier.broker,
        subjects.user_disabled(user),
        UserDisabled(meta=new_meta("risk"), user_id=user, reason="r"),
    )

    assert notifier.store.queued == []
    assert notifier.wakes == []


async def test_an_undecodable_event_is_dead_lettered(notifier: Wired) -> None:
    subject = subjects.user_disabled(uuid4())

    await deliver(notifier.broker, subject, b"[]")

    [letter] = notifier.letters
    assert (letter.consumer, letter.original_subject) == ("notifier-user-disabled", subject)
    assert notifier.store.claimed == set()
