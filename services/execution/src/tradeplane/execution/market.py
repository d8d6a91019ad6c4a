"""Market data in the executor: the latest ticker per venue and symbol (the marketdata service publishes
them: the paper venue's synthetic feed and the live venues it follows)."""

from __future__ import annotations

from typing import Any

from tradeplane.contracts import Ticker
from tradeplane.paper.feed import Tick

from .adapters.paper_venue import tick_of


class LatestTickers:
    def __init__(self) -> None:
        self._latest: dict[tuple[str, str], Ticker] = {}

    def update(self, ticker: Ticker) -> bool:
        """Keep `ticker` if it is newer than the one held; False for a stale or repeated one."""
        key = (ticker.venue, ticker.symbol)
        held = self._latest.get(key)
        if held is not None and ticker.at <= held.at:
            return False
        self._latest[key] = ticker
        return True

    def get(self, venue: str, symbol: str) -> Ticker | None:
        return self._latest.get((venue, symbol))

    def tick(self, venue: str, symbol: str) -> Tick | None:
        ticker = self.get(venue, symbol)
        return None if ticker is None else tick_of(ticker)

    def prices(self, venue: str | None = None) -> list[dict[str, Any]]:
        return [
            {
                "symbol": t.symbol,
                "venue": t.venue,
                "price": format(t.last, "f"),
                "bid": format(t.bid, "f"),
                "ask": format(t.ask, "f"),
                "timestamp": t.at.isoformat(),
            }
            for (v, _), t in sorted(self._latest.items())
            if venue is None or v == venue
        ]
