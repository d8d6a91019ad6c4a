"""Unit tests of FIFO lot accounting: positions, realized PnL, fee allocation and closed trades."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from tradeplane.pnl.domain.fills import Fill
from tradeplane.pnl.domain.lots import Book, BookResult, PositionKey

from .conftest import ACCOUNT, T0, USER

KEY = PositionKey(USER, ACCOUNT, "BTC/USD")


def book_all(*fills: Fill) -> tuple[Book, list[BookResult]]:
    book = Book()
    results = [book.apply(f) for f in fills]
    return book, results


def test_long_round_trip_records_one_trade_net_of_both_fees(make_fill):
    _, results = book_all(make_fill("buy", "2", "100", fee="0.2"), make_fill("sell", "2", "110", fee="0.22"))

    trade = results[1].trade
    assert trade is not None
    assert (trade.side, trade.quantity, trade.entry_price, trade.exit_price) == ("long", 2, 100, 110)
    assert trade.fees == Decimal("0.42")
    assert trade.pnl_usd == Decimal("19.58")
    assert trade.pnl_pct == Decimal("9.7900")
    assert (trade.entry_at, trade.exit_at, trade.duration_seconds) == (T0, T0 + timedelta(minutes=1), 60)


def test_opening_fill_reports_no_trade_and_no_realized_pnl(make_fill):
    _, results = book_all(make_fill("buy", "2", "100", fee="0.2"))

    assert (results[0].applied, results[0].realized, results[0].trade) == (True, 0, None)


def test_short_round_trip_profits_when_price_falls(make_fill):
    _, results = book_all(make_fill("sell", "1", "200"), make_fill("buy", "1", "180"))

    trade = results[1].trade
    assert trade is not None
    assert (trade.side, trade.pnl_usd, trade.pnl_pct) == ("short", 20, Decimal("10.0000"))


def test_flip_through_zero_closes_long_and_opens_short_with_the_rest(make_fill):
    flip = make_fill("sell", "3", "120", fee="3")
    book, results = book_all(make_fill("buy", "1", "100", fee="1"), flip)

    trade = results[1].trade
    assert trade is not None
    assert (trade.side, trade.quantity, trade.fees, trade.pnl_usd) == ("long", 1, 2, 18)
    position = book.position(KEY)
    assert (position.quantity, position.average_entry, position.open_fees) == (-2, 120, 2)


def test_short_opened_by_a_flip_closes_as_its_own_trade(make_fill):
    flip = make_fill("sell", "3", "120", fee="3")
    _, results = book_all(make_fill("buy", "1", "100", fee="1"), flip, make_fill("buy", "2", "100"))

    trade = results[2].trade
    assert trade is not None
    assert (trade.side, trade.quantity, trade.pnl_usd, trade.entry_at) == ("short", 2, 38, flip.at)


def test_partial_closes_aggregate_into_one_trade_when_flat(make_fill):
    _, results = book_all(
        make_fill("buy", "1", "100", fee="1"),
        make_fill("buy", "1", "120", fee="1"),
        make_fill("sell", "1.5", "130", fee="1.5"),
        make_fill("sell", "0.5", "140", fee="0.5"),
    )

    assert results[2].trade is None
    trade = results[3].trade
    assert trade is not None
    assert (trade.quantity, trade.entry_price, trade.exit_price) == (2, 110, Decimal("132.5"))
    assert (trade.fees, trade.pnl_usd, trade.pnl_pct) == (4, 41, Decimal("18.6364"))
    assert trade.entry_at == T0


def test_partial_close_realizes_fifo_and_keeps_remaining_lot_fee(make_fill):
    book, results = book_all(
        make_fill("buy", "1", "100", fee="1"),
        make_fill("buy", "1", "120", fee="1"),
        make_fill("sell", "1.5", "130", fee="1.5"),
    )

    assert results[2].realized == Decimal("35.0")
    position = book.position(KEY)
    assert (position.quantity, position.average_entry, position.open_fees) == (
        Decimal("0.5"),
        120,
        Decimal("0.5"),
    )


def test_fifo_closes_the_oldest_lot_first(make_fill):
    book, results = book_all(
        make_fill("buy", "1", "100"), make_fill("buy", "1", "200"), make_fill("sell", "1", "300")
    )

    assert results[2].realized == 200
    assert book.position(KEY).average_entry == 200


def test_fee_in_base_currency_is_converted_at_the_fill_price(make_fill):
    _, results = book_all(make_fill("buy", "2", "100", fee="0.01", fee_currency="BTC"))

    assert results[0].fee == Decimal("1.00")


def test_duplicate_fill_id_changes_nothing(make_fill):
    fill = make_fill("buy", "1", "100", fee="1")
    book, results = book_all(fill, fill)
    single, _ = book_all(fill)

    assert results[1].applied is False
    assert book.to_dict() == single.to_dict()


def test_unrealized_pnl_of_a_short_gains_as_the_mark_falls(make_fill):
    book, _ = book_all(make_fill("sell", "2", "100"))

    assert book.position(KEY).unrealized(Decimal(90)) == 20


def test_unknown_position_is_flat():
    position = Book().position(KEY)

    assert (position.quantity, position.realized_pnl, position.unrealized(Decimal(5))) == (0, 0, 0)


def test_flat_short_reports_plain_zero_quantity(make_fill):
    book, _ = book_all(make_fill("sell", "1", "100"), make_fill("buy", "1", "90"))

    assert str(book.position(KEY).quantity) == "0"


def test_state_survives_a_json_round_trip_and_booking_continues_alike(make_fill):
    fills = [make_fill("buy", "1", "100", fee="1"), make_fill("sell", "0.4", "110", fee="0.3")]
    closing = make_fill("sell", "0.6", "120", fee="0.2")
    book, _ = book_all(*fills)
    restored = Book.from_dict(json.loads(json.dumps(book.to_dict())))

    assert restored.to_dict() == book.to_dict()
    assert restored.apply(closing) == book.apply(closing)
    assert restored.apply(fills[0]).applied is False


def test_positions_filter_by_user_and_account(make_fill):
    other = make_fill("buy", "1", "100", account_id=USER)
    book, _ = book_all(make_fill("buy", "1", "100"), other)

    assert [p.account_id for p in book.positions(USER, account_id=USER)] == [USER]


def test_trade_exit_time_never_precedes_entry_when_fills_arrive_out_of_time_order(make_fill):
    late_open = make_fill("buy", "1", "100", at=T0 + timedelta(hours=1))
    _, results = book_all(late_open, make_fill("sell", "1", "110", at=T0))

    trade = results[1].trade
    assert trade is not None
    assert (trade.entry_at, trade.exit_at, trade.duration_seconds) == (late_open.at, late_open.at, 0)
