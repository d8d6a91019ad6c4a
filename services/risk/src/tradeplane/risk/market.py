"""Latest market prices from the ticker fan-out: the reference price of market orders."""

from __future__ import annotations

from decimal import Decimal

from tradeplane.contracts import OrderRequested, Ticker


class Prices:
    def __init__(self) -> None:
        self._by_venue: dict[tuple[str, str], Decimal] = {}
        self._by_symbol: dict[str, Decimal] = {}

    def update(self, ticker: Ticker) -> None:
        self._by_venue[(ticker.venue, ticker.symbol)] = ticker.last
        self._by_symbol[ticker.symbol] = ticker.last

    def latest(self, venue: str, symbol: str) -> Decimal | None:
        """The venue's last price, else any venue's (a fair estimate of notional), else None."""
        return self._by_venue.get((venue, symbol)) or self._by_symbol.get(symbol)

    def reference(self, order: OrderRequested) -> Decimal | None:
        """The price an order's notional is judged at: its limit price, its stop price, or the market."""
        return order.price or order.stop_price or self.latest(order.venue, order.symbol)
