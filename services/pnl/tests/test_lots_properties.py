"""Property tests: the accounting identity, fee conservation, idempotency and order independence."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from tradeplane.contracts import Side
from tradeplane.pnl.domain.fills import Fill, fee_in_quote
from tradeplane.pnl.domain.lots import Book, Position, PositionKey

from .conftest import ACCOUNT, ORDER, T0, USER

KEY = PositionKey(USER, ACCOUNT, "BTC/USD")
quantities = st.integers(1, 5000).map(lambda n: Decimal(n) / 100)
prices = st.integers(1, 10_000_000).map(lambda n: Decimal(n) / 100)
fees = st.integers(0, 5000).map(lambda n: Decimal(n) / 1000)


@st.composite
def fill_sequences(draw: st.DrawFn) -> list[Fill]:
    count = draw(st.integers(1, 30))
    return [
        Fill(
            fill_id=f"f{i}",
            order_id=ORDER,
            user_id=USER,
            account_id=ACCOUNT,
            symbol="BTC/USD",
            side=draw(st.sampled_from(Side)),
            quantity=draw(quantities),
            price=draw(prices),
            fee=draw(fees),
            fee_currency=draw(st.sampled_from(["BTC", "USD"])),
            at=T0 + timedelta(seconds=draw(st.integers(0, 10**6))),
        )
        for i in range(count)
    ]


def book(fills: list[Fill]) -> Book:
    result = Book()
    for fill in fills:
        result.apply(fill)
    return result


def flattened(fills: list[Fill]) -> list[Fill]:
    """`fills` plus, unless already flat, one fill that closes what remains."""
    net = sum(f.quantity if f.side is Side.BUY else -f.quantity for f in fills)
    if not net:
        return fills
    side = Side.SELL if net > 0 else Side.BUY
    closing = Fill("flat", ORDER, USER, ACCOUNT, "BTC/USD", side, abs(net), Decimal(7), Decimal(1), "USD", T0)
    return [*fills, closing]


def marked_value_change(fills: list[Fill], mark: Decimal) -> Decimal:
    """The oracle: cash flow of the fills, fees included, plus the resulting position at `mark`."""
    cash = position = Decimal(0)
    for fill in fills:
        signed = fill.quantity if fill.side is Side.BUY else -fill.quantity
        position += signed
        cash -= signed * fill.price + fee_in_quote(fill)
    return cash + position * mark


def totals(position: Position, mark: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    return position.quantity, position.fees, position.net_pnl(mark)


@given(fill_sequences(), prices)
def test_realized_plus_unrealized_minus_fees_equals_marked_value_change(fills, mark):
    position = book(fills).position(KEY)

    assert position.net_pnl(mark) == marked_value_change(fills, mark)


@given(fill_sequences())
def test_closed_trades_carry_every_fee_once_flat(fills):
    ledger = Book()
    trades = [r.trade for r in map(ledger.apply, flattened(fills)) if r.trade]

    assert sum((t.fees for t in trades), Decimal(0)) == ledger.position(KEY).fees


@given(fill_sequences())
def test_closed_trades_net_pnl_sums_to_realized_minus_fees_once_flat(fills):
    ledger = Book()
    trades = [r.trade for r in map(ledger.apply, flattened(fills)) if r.trade]
    position = ledger.position(KEY)

    assert sum((t.pnl_usd for t in trades), Decimal(0)) == position.realized_pnl - position.fees


@given(fill_sequences(), st.data())
def test_duplicates_and_redeliveries_leave_the_same_state(fills, data):
    deliveries: list[Fill] = []
    for i, fill in enumerate(fills):
        deliveries.append(fill)
        deliveries.extend(data.draw(st.lists(st.sampled_from(fills[: i + 1]), max_size=3)))

    assert book(deliveries).to_dict() == book(fills).to_dict()


@given(fill_sequences(), st.data(), prices)
def test_any_arrival_order_gives_the_same_totals(fills, data, mark):
    shuffled = data.draw(st.permutations(fills))

    assert totals(book(shuffled).position(KEY), mark) == totals(book(fills).position(KEY), mark)


@given(fill_sequences(), st.data())
def test_any_arrival_order_realizes_the_same_pnl_when_it_ends_flat(fills, data):
    flat = flattened(fills)
    shuffled = data.draw(st.permutations(flat))

    assert book(shuffled).position(KEY).realized_pnl == book(flat).position(KEY).realized_pnl


@given(fill_sequences(), st.data())
def test_restoring_saved_state_mid_stream_continues_identically(fills, data):
    split = data.draw(st.integers(0, len(fills)))
    saved = json.loads(json.dumps(book(fills[:split]).to_dict()))
    resumed = Book.from_dict(saved)
    for fill in fills:
        resumed.apply(fill)

    assert resumed.to_dict() == book(fills).to_dict()
