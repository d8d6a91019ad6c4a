"""Unit tests of fill validation and fee conversion to the quote currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tradeplane.contracts import LiquiditySide, OrderFilled, new_meta
from tradeplane.pnl.domain.fills import FeeConversionError, Fill, fee_in_quote
from tradeplane.pnl.domain.lots import Book


def test_fee_in_quote_currency_is_taken_as_is(make_fill):
    assert fee_in_quote(make_fill("buy", "2", "100", fee="0.5")) == Decimal("0.5")


def test_fee_in_base_currency_is_multiplied_by_price(make_fill):
    assert fee_in_quote(make_fill("sell", "2", "250", fee="0.002", fee_currency="BTC")) == Decimal("0.5")


def test_fee_in_third_currency_uses_the_rate_to_quote(make_fill):
    fill = make_fill("buy", "1", "100", fee="2", fee_currency="BNB")
    rates = {("BNB", "USD"): Decimal("300")}

    assert fee_in_quote(fill, lambda src, dst, _at: rates.get((src, dst))) == 600


def test_fee_in_third_currency_without_rate_is_rejected(make_fill):
    with pytest.raises(FeeConversionError):
        fee_in_quote(make_fill("buy", "1", "100", fee="2", fee_currency="BNB"))


def test_rejected_fee_leaves_the_book_unchanged_and_the_fill_retryable(make_fill):
    fill = make_fill("buy", "1", "100", fee="2", fee_currency="BNB")
    book = Book()
    with pytest.raises(FeeConversionError):
        book.apply(fill)

    assert (len(book), Book(lambda *_: Decimal(1)).apply(fill).applied) == (0, True)


def test_zero_fee_in_unknown_currency_needs_no_rate(make_fill):
    assert fee_in_quote(make_fill("buy", "1", "100", fee="0", fee_currency="BNB")) == 0


def test_naive_fill_time_is_refused(make_fill):
    with pytest.raises(ValueError, match="timezone"):
        make_fill("buy", "1", "100", at=make_fill("buy", "1", "1").at.replace(tzinfo=None))


def test_non_positive_quantity_is_refused(make_fill):
    with pytest.raises(ValueError, match="positive"):
        make_fill("buy", "0", "100")


def test_fill_from_order_filled_event_keeps_every_accounting_field(make_fill):
    expected = make_fill("sell", "0.5", "100", fee="0.1")
    event = OrderFilled(
        meta=new_meta("test"),
        order_id=expected.order_id,
        user_id=expected.user_id,
        account_id=expected.account_id,
        fill_id=expected.fill_id,
        venue="paper",
        symbol=expected.symbol,
        side=expected.side,
        quantity=expected.quantity,
        price=expected.price,
        fee=expected.fee,
        fee_currency=expected.fee_currency,
        liquidity=LiquiditySide.TAKER,
        filled_quantity=expected.quantity,
        order_quantity=expected.quantity,
        filled_at=expected.at,
    )

    assert Fill.from_event(event) == expected
