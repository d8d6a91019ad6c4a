"""Unit tests of booking onto stored state: no fill ids kept, state round-trips, unconvertible fees."""

from __future__ import annotations

import json
from decimal import Decimal

from tradeplane.pnl.domain.stored import apply_fill, bookable

from .conftest import T0


def test_stored_state_keeps_no_fill_ids(make_fill):
    applied = apply_fill(None, make_fill("buy", "1", "100"))

    assert "fill_ids" not in applied.state


def test_booking_from_stored_state_matches_booking_in_memory(make_fill):
    buy, sell = make_fill("buy", "2", "100", fee="0.2"), make_fill("sell", "2", "110", fee="0.22")

    stored = json.loads(json.dumps(apply_fill(None, buy).state))
    applied = apply_fill(stored, sell)

    trade = applied.result.trade
    assert trade is not None
    assert (trade.pnl_usd, applied.position.quantity, applied.opened_at) == (Decimal("19.58"), 0, None)


def test_open_position_remembers_when_its_round_trip_opened(make_fill):
    applied = apply_fill(None, make_fill("buy", "1", "100"))

    assert applied.opened_at == T0


def test_fee_in_an_unconvertible_currency_is_booked_as_zero(make_fill):
    fill, fee_quote = bookable(make_fill("buy", "1", "100", fee="3", fee_currency="BNB"), None)

    assert (fill.fee, fee_quote) == (0, None)


def test_fee_in_the_base_currency_converts_at_the_fill_price(make_fill):
    _, fee_quote = bookable(make_fill("buy", "1", "100", fee="0.001", fee_currency="BTC"), None)

    assert fee_quote == Decimal("0.100")
