"""Risk's consumers as registered: a message on its real subject reaches the handler that decides it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

import pytest
from faststream.nats import NatsBroker, TestNatsBroker
from tradeplane.contracts import (
    DeadLettered,
    OrderApproved,
    OrderRejected,
    RejectCode,
    subjects,
)
from tradeplane.risk import handlers
from tradeplane.risk.events import PRODUCER
from tradeplane.risk.market import Prices
from tradeplane.risk.pretrade import PreTrade
from tradeplane.risk.profiles import Profiles
from tradeplane.risk.tracking import Tracker
from tradeplane.runtime import Runtime
from tradeplane.runtime.testing import dead_letters, deliver, ticker, wired

from .fakes import USER, FakeDecisions, FakeEquity, FakeHalts, order_request

PARTITIONS = 4


@dataclass
class Wired:
    broker: NatsBroker
    store: FakeDecisions
    letters: list[DeadLettered]


@pytest.fixture
async def risk() -> AsyncIterator[Wired]:
    store, prices, profiles = FakeDecisions(), Prices(), Profiles()
    pretrade = PreTrade(store, PARTITIONS, profiles, FakeHalts(), prices, FakeEquity())
    tracker = Tracker(cast(Runtime, None), profiles, 3)  # its consumers get no message here
    broker = wired(PRODUCER, handlers.subscriptions(pretrade, tracker, prices, order_workers=2))
    letters = dead_letters(broker)
    async with TestNatsBroker(broker) as test_broker:
        yield Wired(test_broker, store, letters)


async def test_an_order_request_on_its_partition_subject_is_decided(risk: Wired) -> None:
    order = order_request("0.01", "50000")

    await deliver(risk.broker, subjects.order_requested(subjects.partition_of(USER, 16), USER), order)

    [approved] = risk.store.committed.of(OrderApproved)
    assert approved.order_id == order.order_id
    assert risk.store.decisions[order.order_id] == (True, None, None)


async def test_a_ticker_gives_market_orders_their_reference_price(risk: Wired) -> None:
    risk.store.limit(USER, max_order_notional="1000", max_position_pct="100")
    before, after = order_request("0.03", None), order_request("0.03", None)
    subject = subjects.order_requested(0, USER)

    await deliver(risk.broker, subject, before)
    await deliver(risk.broker, subjects.ticker("paper", "BTC/USDT"), ticker("paper", "BTC/USDT", "50000"))
    await deliver(risk.broker, subject, after)

    assert [(r.order_id, r.code) for r in risk.store.committed.of(OrderRejected)] == [
        (before.order_id, RejectCode.INVALID_ORDER),
        (after.order_id, RejectCode.MAX_ORDER_NOTIONAL),
    ]


async def test_an_undecodable_order_request_is_dead_lettered_not_decided(risk: Wired) -> None:
    subject = subjects.order_requested(0, USER)

    await deliver(risk.broker, subject, b"{not json")

    assert risk.store.decisions == {}
    [letter] = risk.letters
    assert (letter.consumer, letter.original_subject) == ("risk-order-requested", subject)
    assert letter.reason.startswith("undecodable OrderRequested")
