"""The paper venue's synthetic feed: seeded ticks for every paper market, published as tickers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal

from tradeplane.contracts import Ticker, new_meta, subjects, utcnow
from tradeplane.paper.feed import SyntheticFeed, Tick
from tradeplane.paper.markets import PAPER_MARKETS, PAPER_START_PRICES

PRODUCER = "marketdata"
PAPER = "paper"

log = logging.getLogger(__name__)

Publish = Callable[[str, Ticker], Awaitable[None]]


class FeedPublisher:
    """Publishes the paper venue's synthetic ticks on `subjects.ticker("paper", symbol)`, continuing
    from `last_prices` (the last paper prices seen on the bus) where there are some."""

    def __init__(
        self,
        publish: Publish,
        *,
        seed: int,
        interval: float,
        volatility_bps: Decimal,
        spread_bps: Decimal,
    ) -> None:
        self._publish = publish
        self._seed = seed
        self._interval = interval
        self._volatility = volatility_bps
        self._spread = spread_bps
        self._task: asyncio.Task[None] | None = None

    def feed(self, last_prices: Mapping[str, Decimal]) -> SyntheticFeed:
        start = {symbol: last_prices.get(symbol, price) for symbol, price in PAPER_START_PRICES.items()}
        return SyntheticFeed(
            self._seed, PAPER_MARKETS, start, volatility_bps=self._volatility, spread_bps=self._spread
        )

    def start(self, last_prices: Mapping[str, Decimal]) -> None:
        self._task = asyncio.create_task(self._run(self.feed(last_prices)), name="paper-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def publish_once(self, feed: SyntheticFeed) -> None:
        for tick in feed.next(utcnow()):
            await self._publish(subjects.ticker(PAPER, tick.symbol), ticker_of(tick))

    async def _run(self, feed: SyntheticFeed) -> None:
        while True:
            try:
                await self.publish_once(feed)
            except Exception:
                log.warning("publishing the paper feed failed", exc_info=True)
            await asyncio.sleep(self._interval)


def ticker_of(tick: Tick, venue: str = PAPER) -> Ticker:
    return Ticker(
        meta=new_meta(PRODUCER),
        venue=venue,
        symbol=tick.symbol,
        bid=tick.bid,
        ask=tick.ask,
        last=tick.last,
        at=tick.at,
    )
