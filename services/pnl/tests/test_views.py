"""Unit tests of reply formatting: Decimal strings, positions, allocation, account parsing."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

from tradeplane.pnl.adapters.execution import parse_account
from tradeplane.pnl.domain.lots import Position
from tradeplane.pnl.domain.marks import Marks
from tradeplane.pnl.domain.valuation import Holding
from tradeplane.pnl.views import allocation, dec, positions

from .conftest import ACCOUNT, T0, USER


def test_decimals_are_plain_strings_without_trailing_zeros():
    assert [dec(Decimal("100.00")), dec(Decimal("1E+3")), dec(Decimal("-0.000"))] == ["100", "1000", "0"]


def test_decimals_are_rounded_to_eight_places():
    assert dec(Decimal(1) / Decimal(3)) == "0.33333333"


def test_none_stays_none():
    assert dec(None) is None


def test_open_positions_are_listed_at_their_mark_and_flat_ones_left_out():
    marks = Marks()
    marks.update("paper", "BTC/USDT", Decimal(110), T0)
    d = Decimal
    open_ = Holding("paper", Position(USER, ACCOUNT, "BTC/USDT", d(2), d(200), d(0), d(0), d(0)), T0)
    flat = Holding("paper", Position(USER, ACCOUNT, "ETH/USDT", d(0), d(0), d(5), d(1), d(0)))

    (row,) = positions([open_, flat], marks)

    assert (row["quantity"], row["entryPrice"], row["currentPrice"]) == ("2", "100", "110")
    assert (row["unrealizedPnL"], row["unrealizedPnLPercent"], row["positionValue"]) == ("20", "10", "220")
    assert row["openedAt"] == T0.isoformat()


def test_allocation_shares_are_of_the_gross_value_including_cash():
    rows = allocation([("BTC", Decimal(300)), ("ETH", Decimal(-100))], cash=Decimal(600))

    assert [(r["asset"], r["value"], r["percent"]) for r in rows] == [
        ("USD", "600", "60"),
        ("BTC", "300", "30"),
        ("ETH", "-100", "10"),
    ]


def test_listed_account_of_another_user_is_ignored():
    assert parse_account({"id": str(uuid4()), "venue": "paper", "userId": str(uuid4())}, USER) is None


def test_listed_account_without_an_owner_field_is_taken_as_the_callers():
    account = uuid4()

    assert parse_account({"id": str(account), "venue": "kraken"}, USER) == (account, "kraken")


def test_listed_item_without_a_readable_id_is_ignored():
    assert parse_account({"id": "nope"}, USER) is None
