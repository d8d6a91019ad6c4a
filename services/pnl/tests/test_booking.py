"""Booking fills against an in-memory store: the position, the closed trade, fees and the events."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.contracts import FillBooked, PnlUpdated, PositionChanged, TradeClosed, subjects
from tradeplane.pnl.booking import Booker
from tradeplane.pnl.domain.marks import Marks

from .conftest import ACCOUNT, USER
from .fakes import FakeAccounts, FakeBooks, order_filled


def booker() -> tuple[Booker, FakeBooks, FakeAccounts]:
    marks = Marks()
    books, accounts = FakeBooks(marks), FakeAccounts()
    return Booker(books, marks, accounts), books, accounts


async def test_a_buy_opens_the_position_and_reports_it() -> None:
    book, books, accounts = booker()

    assert await book.book(order_filled("buy", "2", "100", fee="0.2"))

    [(venue, applied)] = books.positions.values()
    assert (venue, applied.position.quantity, applied.position.average_entry) == ("paper", 2, 100)
    assert books.committed.subjects() == [
        subjects.position_changed(USER),
        subjects.fill_booked(USER),
        subjects.pnl_updated(USER),
    ]
    [changed] = books.committed.of(PositionChanged)
    assert (changed.quantity, changed.average_entry, changed.unrealized_pnl) == (2, 100, 0)
    [booked] = books.committed.of(FillBooked)
    assert (booked.opened_quantity, booked.closed_quantity, booked.trade_id) == (2, 0, None)
    assert accounts.ensured == [(USER, ACCOUNT, "paper")]


async def test_closing_books_the_trade_and_realized_pnl_net_of_both_fees() -> None:
    book, books, _ = booker()
    await book.book(order_filled("buy", "2", "100", fee="0.2"))

    closing = order_filled("sell", "2", "110", fee="0.22")
    await book.book(closing)

    [(trade, venue, fill_id)] = books.trades
    assert (trade.pnl_usd, trade.fees, venue, fill_id) == (
        Decimal("19.58"),
        Decimal("0.42"),
        "paper",
        closing.fill_id,
    )
    [closed] = books.committed.of(TradeClosed)
    assert (closed.trade_id, closed.pnl_usd, closed.entry_price, closed.exit_price) == (
        trade.trade_id,
        Decimal("19.58"),
        100,
        110,
    )
    changed = books.committed.of(PositionChanged)[-1]
    assert (changed.quantity, changed.realized_pnl) == (0, 20)  # the position's is before fees
    booked = books.committed.of(FillBooked)[-1]
    assert (booked.closed_quantity, booked.pnl_usd, booked.trade_id) == (2, Decimal("19.58"), trade.trade_id)
    reported = books.committed.of(PnlUpdated)[-1]
    assert (reported.realized_pnl, reported.fees) == (20, Decimal("0.42"))
    [(_, applied)] = books.positions.values()
    assert (applied.position.realized_pnl, applied.position.fees) == (20, Decimal("0.42"))


async def test_a_fill_booked_before_changes_and_emits_nothing() -> None:
    book, books, _ = booker()
    fill = order_filled("buy", "1", "100")
    await book.book(fill)
    positions, events = dict(books.positions), list(books.committed)

    again = fill.model_copy(update={"meta": order_filled("buy", "1", "100").meta})  # a new event id
    assert not await book.book(again)

    assert books.positions == positions
    assert list(books.committed) == events


async def test_a_fee_no_rate_converts_is_booked_as_zero() -> None:
    book, books, _ = booker()

    await book.book(order_filled("buy", "1", "100", fee="3", fee_currency="BNB"))
    await book.book(order_filled("sell", "1", "105"))

    assert list(books.fills.values()) == [None, Decimal(0)]
    [(trade, _, _)] = books.trades
    assert (trade.fees, trade.pnl_usd) == (0, 5)


async def test_the_fill_price_becomes_the_mark_and_values_the_rest_of_the_position() -> None:
    book, books, _ = booker()
    await book.book(order_filled("buy", "2", "100"))

    await book.book(order_filled("sell", "1", "120"))

    assert books.marks.price("BTC/USD", "paper") == 120
    changed = books.committed.of(PositionChanged)[-1]
    assert (changed.quantity, changed.realized_pnl, changed.unrealized_pnl) == (1, 20, 20)
    assert book.last_unrealized[USER] == 20
