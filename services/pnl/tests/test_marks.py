"""Unit tests of the marks: newest price wins, venue fallback, derived rates, change tracking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tradeplane.pnl.domain.marks import Marks

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def test_older_price_does_not_replace_a_newer_mark():
    marks = Marks()
    marks.update("paper", "BTC/USDT", Decimal(110), T0 + timedelta(seconds=5))

    assert not marks.update("paper", "BTC/USDT", Decimal(100), T0)
    assert marks.price("BTC/USDT", "paper") == 110


def test_symbol_without_a_mark_on_the_venue_uses_the_newest_on_any_venue():
    marks = Marks()
    marks.update("kraken", "BTC/USD", Decimal(100), T0)
    marks.update("binance", "BTC/USD", Decimal(101), T0 + timedelta(seconds=1))

    assert marks.price("BTC/USD", "paper") == 101
    assert marks.price("BTC/USD", "kraken") == 100


def test_usd_stablecoins_convert_at_par():
    assert Marks().rate("USDT", "USD") == 1


def test_rate_uses_a_pair_quoted_in_a_usd_stablecoin():
    marks = Marks()
    marks.update("paper", "ETH/USDT", Decimal(2000), T0)

    assert marks.usd("ETH") == 2000


def test_rate_inverts_a_pair_quoted_the_other_way():
    marks = Marks()
    marks.update("paper", "USDT/EUR", Decimal("0.8"), T0)

    assert marks.rate("EUR", "USD") == Decimal("1.25")


def test_rate_is_none_without_any_pair():
    assert Marks().usd("DOGE") is None


def test_changed_symbols_are_reported_once():
    marks = Marks()
    marks.update("paper", "BTC/USDT", Decimal(100), T0)

    assert marks.take_changed() == {"BTC/USDT"}
    assert marks.take_changed() == set()


def test_same_price_again_is_not_a_change():
    marks = Marks()
    marks.update("paper", "BTC/USDT", Decimal(100), T0)
    marks.take_changed()

    marks.update("paper", "BTC/USDT", Decimal(100), T0 + timedelta(seconds=1))

    assert marks.take_changed() == set()


def test_loaded_marks_are_not_saved_again():
    marks = Marks()
    marks.update("paper", "BTC/USDT", Decimal(100), T0, saved=True)
    marks.update("paper", "ETH/USDT", Decimal(10), T0)

    assert [m.symbol for m in marks.take_unsaved()] == ["ETH/USDT"]
