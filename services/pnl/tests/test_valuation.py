"""Unit tests of account figures: baseline plus PnL, marked positions, conversion, balances, local starts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

from tradeplane.pnl.domain.breakdown import Period
from tradeplane.pnl.domain.lots import Position
from tradeplane.pnl.domain.marks import Marks
from tradeplane.pnl.domain.valuation import TOTAL, Holding, local_start, user_figures, value, value_balances

from .conftest import ACCOUNT, T0, USER


def holding(symbol="BTC/USDT", quantity="2", cost="200", realized="0", fees="0", account=ACCOUNT):
    d = Decimal
    position = Position(USER, account, symbol, d(quantity), d(cost), d(realized), d(fees), d(0))
    return Holding("paper", position)


def marks_at(**prices: str) -> Marks:
    marks = Marks()
    for symbol, price in prices.items():
        marks.update("paper", symbol.replace("_", "/"), Decimal(price), T0)
    return marks


def test_equity_is_baseline_plus_realized_minus_fees_plus_unrealized():
    figures = user_figures(
        {ACCOUNT: Decimal(1000)}, [holding(realized="30", fees="2")], marks_at(BTC_USDT="110")
    ).accounts[ACCOUNT]

    assert (figures.unrealized, figures.positions_value, figures.equity) == (20, 220, 1048)
    assert figures.cash == 828


def test_short_position_is_worth_a_negative_amount_and_gains_when_price_falls():
    valued = value(holding(quantity="-2", cost="200"), marks_at(BTC_USDT="90"))

    assert (valued.value, valued.unrealized) == (-180, 20)


def test_position_without_a_mark_is_valued_at_its_entry():
    valued = value(holding(symbol="ABC/USDT"), Marks())

    assert (valued.mark, valued.unrealized) == (100, 0)


def test_total_adds_every_account_and_accounts_without_positions():
    other = uuid4()
    figures = user_figures(
        {ACCOUNT: Decimal(100), other: Decimal(50)}, [holding(realized="5")], marks_at(BTC_USDT="100")
    )

    assert figures.total.scope == TOTAL
    assert (figures.total.baseline, figures.total.realized, figures.total.equity) == (150, 5, 155)


def test_equity_is_unknown_while_an_accounts_balances_are_not_read_never_a_made_up_zero():
    other = uuid4()
    figures = user_figures(
        {ACCOUNT: Decimal(100), other: None}, [holding(realized="5")], marks_at(BTC_USDT="100")
    )

    assert (figures.equity, figures.unvalued) == (None, frozenset({other}))
    assert figures.total.equity == 105


def test_equity_is_known_once_every_accounts_balances_are():
    figures = user_figures({ACCOUNT: Decimal(100)}, [], Marks())

    assert (figures.equity, figures.unvalued) == (Decimal(100), frozenset())


def test_pnl_in_a_non_usd_quote_is_converted_at_its_mark():
    figures = user_figures(
        {}, [holding(symbol="BTC/EUR", quantity="0", cost="0", realized="10")], marks_at(EUR_USD="1.1")
    )

    assert figures.total.realized == Decimal("11.0")


def test_balances_are_valued_at_marks_and_unpriced_currencies_reported():
    worth, unpriced = value_balances(
        {
            "USDT": {"free": "900", "used": "100", "total": "1000"},
            "BTC": {"total": "0.5"},
            "XYZ": {"total": "3"},
        },
        marks_at(BTC_USDT="60000"),
    )

    assert (worth, unpriced) == (31000, ["XYZ"])


def test_unreadable_balance_amounts_count_as_zero():
    worth, _ = value_balances({"USDT": {"total": "lots"}, "USD": {"total": None}}, Marks())

    assert worth == 0


def test_local_day_and_week_start_at_local_midnight():
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2024, 3, 13, 23, 30, tzinfo=UTC)  # Thursday 00:30 in Berlin

    assert local_start(now, Period.DAILY, berlin) == datetime(2024, 3, 14, tzinfo=berlin)
    assert local_start(now, Period.WEEKLY, berlin) == datetime(2024, 3, 11, tzinfo=berlin)
