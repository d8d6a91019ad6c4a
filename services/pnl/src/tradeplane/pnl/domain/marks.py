"""The latest price of each symbol per venue, and the currency rates derived from them.

USD, USDT and USDC count as one currency worth 1 USD: balances, fees and PnL quoted in any of them
are added together without conversion.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

USD_LIKE = ("USD", "USDT", "USDC")
_ONE = Decimal(1)


class Mark(NamedTuple):
    venue: str
    symbol: str
    price: Decimal
    at: datetime


class Marks:
    """Newest price wins: an update older than the mark it would replace is ignored."""

    __slots__ = ("_by_symbol", "_by_venue", "_changed", "_unsaved")

    def __init__(self) -> None:
        self._by_venue: dict[tuple[str, str], Mark] = {}
        self._by_symbol: dict[str, Mark] = {}
        self._changed: set[str] = set()
        self._unsaved: set[tuple[str, str]] = set()

    def update(self, venue: str, symbol: str, price: Decimal, at: datetime, *, saved: bool = False) -> bool:
        """Record a price; True when it became the venue's mark. `saved` marks prices loaded from storage."""
        key = (venue, symbol)
        current = self._by_venue.get(key)
        if current is not None and at < current.at:
            return False
        mark = Mark(venue, symbol, price, at)
        self._by_venue[key] = mark
        latest = self._by_symbol.get(symbol)
        if latest is None or at >= latest.at:
            self._by_symbol[symbol] = mark
        if current is None or current.price != price:
            self._changed.add(symbol)
        if not saved:
            self._unsaved.add(key)
        return True

    def price(self, symbol: str, venue: str | None = None) -> Decimal | None:
        """The venue's own mark, else the newest mark of the symbol on any venue."""
        mark = self._by_venue.get((venue, symbol)) if venue is not None else None
        if mark is None:
            mark = self._by_symbol.get(symbol)
        return mark.price if mark is not None else None

    def rate(self, source: str, target: str) -> Decimal | None:
        """The price of one `source` in `target`, directly or through the inverse pair; None if unknown."""
        if source == target or (source in USD_LIKE and target in USD_LIKE):
            return _ONE
        for base in _equivalents(source):
            for quote in _equivalents(target):
                direct = self.price(f"{base}/{quote}")
                if direct is not None:
                    return direct
                inverse = self.price(f"{quote}/{base}")
                if inverse:
                    return _ONE / inverse
        return None

    def usd(self, currency: str) -> Decimal | None:
        return self.rate(currency, "USD")

    def rates(self, source: str, target: str, at: datetime) -> Decimal | None:
        """`domain.fills.Rates`: the latest rate, whatever `at` asks for (no price history is kept)."""
        return self.rate(source, target)

    def take_changed(self) -> set[str]:
        """Symbols whose price changed since the last call."""
        changed, self._changed = self._changed, set()
        return changed

    def take_unsaved(self) -> list[Mark]:
        """Marks updated since the last call (to persist them)."""
        keys, self._unsaved = self._unsaved, set()
        return [self._by_venue[key] for key in keys]

    def __iter__(self) -> Iterator[Mark]:
        return iter(list(self._by_venue.values()))

    def __len__(self) -> int:
        return len(self._by_venue)


def _equivalents(currency: str) -> tuple[str, ...]:
    return USD_LIKE if currency in USD_LIKE else (currency,)
