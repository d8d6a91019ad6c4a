"""PnL's consumers as registered: fills on their real subject are booked, tickers move the marks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from faststream.nats import NatsBroker, TestNatsBroker
from tradeplane.contracts import DeadLettered, PositionChanged, subjects
from tradeplane.pnl import handlers
from tradeplane.pnl.booking import Booker
from tradeplane.pnl.config import Settings
from tradeplane.pnl.domain.marks import Marks
from tradeplane.pnl.equity_figures import PRODUCER
from tradeplane.runtime.testing import dead_letters, deliver, ticker, wired

from .conftest import USER
from .fakes import FakeAccounts, FakeBooks, order_filled


@dataclass
class Wired:
    broker: NatsBroker
    books: FakeBooks
    letters: list[DeadLettered]


@pytest.fixture
async def pnl() -> AsyncIterator[Wired]:
    marks = Marks()
    books = FakeBooks(marks)
    booker = Booker(books, marks, FakeAccounts())
    broker = wired(PRODUCER, handlers.subscriptions(Settings(), booker, marks))
    letters = dead_letters(broker)
    async with TestNatsBroker(broker) as test_broker:
        yield Wired(test_broker, books, letters)


async def test_a_fill_on_its_subject_is_booked_once(pnl: Wired) -> None:
    fill = order_filled("buy", "2", "100")
    subject = subjects.order_filled(3, USER)

    await deliver(pnl.broker, subject, fill)
    await deliver(pnl.broker, subject, fill)  # a redelivery

    [(_, applied)] = pnl.books.positions.values()
    assert applied.position.quantity == 2
    assert len(pnl.books.committed.of(PositionChanged)) == 1


async def test_a_ticker_moves_the_mark(pnl: Wired) -> None:
    await deliver(pnl.broker, subjects.ticker("paper", "BTC/USD"), ticker("paper", "BTC/USD", "130"))

    assert pnl.books.marks.price("BTC/USD", "paper") == 130


async def test_an_undecodable_fill_is_dead_lettered_not_booked(pnl: Wired) -> None:
    subject = subjects.order_filled(3, USER)

    await deliver(pnl.broker, subject, b'{"fill_id": "x"}')

    assert pnl.books.positions == {}
    [letter] = pnl.letters
    assert (letter.consumer, letter.original_subject) == (handlers.FILLS_CONSUMER, subject)
