"""Market data in the executor: the latest ticker per venue and symbol, and the paper venue's synthetic
feed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from tradeplane.contracts import Ticker, new_meta, subjects, utcnow
from tradeplane.paper.feed import SyntheticFeed, Tick
from tradeplane.paper.markets import PAPER_MARKETS, PAPER_START_PRICES

from .adapters.paper_venue import tick_of
from .outcomes import PRODUCER

log = logging.getLogger(__name__)


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


Publish = Callable[[str, Ticker], Awaitable[None]]


class FeedPublisher:
    """Publishes the paper venue's synthetic ticks, continuing from the last prices seen on the bus."""

    def __init__(
        self,
        publish: Publish,
        tickers: LatestTickers,
        *,
        seed: int,
        interval: float,
        volatility_bps: Decimal,
        spread_bps: Decimal,
    ) -> None:
        self._publish = publish
        self._tickers = tickers
        self._seed = seed
        self._interval = interval
        self._volatility = volatility_bps
        self._spread = spread_bps
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        start = dict(PAPER_START_PRICES)
        for symbol in start:
            held = self._tickers.get("paper", symbol)
            if held is not None:
                start[symbol] = held.last
        feed = SyntheticFeed(
            self._seed,
            PAPER_MARKETS,
            start,
            volatility_bps=self._volatility,
            spread_bps=self._spread,
        )
        self._task = asyncio.create_task(self._run(feed), name="paper-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self, feed: SyntheticFeed) -> None:
        while True:
            try:
                for tick in feed.next(utcnow()):
                    await self._publish(subjects.ticker("paper", tick.symbol), _ticker(tick))
            except Exception:
                log.warning("publishing the paper feed failed", exc_info=True)
            await asyncio.sleep(self._interval)


def _ticker(tick: Tick) -> Ticker:
    return Ticker(
        meta=new_meta(PRODUCER),
        venue="paper",
        symbol=tick.symbol,
        bid=tick.bid,
        ask=tick.ask,
        last=tick.last,
        at=tick.at,
    )
