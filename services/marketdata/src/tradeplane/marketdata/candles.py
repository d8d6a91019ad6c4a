"""Candles from the tickers on the bus: built in memory, closed on a timer, stored and published.

Every ticker on `tp.market.ticker.>` (the paper feed and the followed live venues alike) goes into the
`CandleBuilder`. A closed candle is upserted and its `CandleClosed` emitted in one transaction (the
outbox), with `candle_msg_id` as JetStream message id, so publishing it again is a duplicate. Forming
candles are stored every few seconds; after a restart the builder resumes from the stored rows and the
ticker stream is replayed from the oldest forming candle's last tick: no gap where ticks exist, no
tick counted twice, no candle closed twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from tradeplane.contracts import Ticker, new_meta, subjects, utcnow
from tradeplane.contracts.market import CandleClosed, Timeframe, candle_msg_id
from tradeplane.runtime import Runtime

from .adapters import store
from .config import Settings
from .domain.candles import Bar, CandleBuilder
from .feed import PRODUCER

log = logging.getLogger(__name__)

CATCH_UP_SECONDS = 30.0
"""After this long, the timer closes candles even if the replay never reported it was caught up."""


def candle_message(bar: Bar) -> CandleClosed:
    return CandleClosed(
        meta=new_meta(PRODUCER),
        venue=bar.venue,
        symbol=bar.symbol,
        timeframe=bar.timeframe,
        t=bar.t,
        open=bar.open,
        high=bar.high,
        low=bar.low,
        close=bar.close,
        volume=bar.volume,
    )


class Candles:
    def __init__(self, rt: Runtime, settings: Settings) -> None:
        self.rt = rt
        self.builder = CandleBuilder(settings.marketdata_timeframes)
        self.latest: dict[tuple[str, str], Ticker] = {}
        self._delay = timedelta(seconds=settings.marketdata_close_delay_seconds)
        self._unsaved: list[Bar] = []
        self._caught_up = False
        self._started = 0.0

    async def resume(self) -> datetime | None:
        """Load the newest stored candle of every key; returns where the ticker replay must start."""
        async with self.rt.engine.connect() as conn:
            self.builder.resume(await store.latest(conn))
        self._started = asyncio.get_running_loop().time()
        return self.builder.replay_from()

    async def on_ticker(self, ticker: Ticker, pending: int) -> None:
        """Count one ticker; `pending` is how many more the stream holds (0: the replay caught up)."""
        key = (ticker.venue, ticker.symbol)
        held = self.latest.get(key)
        if held is None or ticker.at > held.at:
            self.latest[key] = ticker
        closed = self.builder.add(ticker.venue, ticker.symbol, ticker.last, ticker.at)
        if pending == 0:
            self._caught_up = True
        if closed:
            await self._save_closed(closed)

    async def close_due(self) -> None:
        """The timer: close what ended (once the replay caught up: a replayed tick may still belong to it)."""
        if not self._caught_up and asyncio.get_running_loop().time() - self._started < CATCH_UP_SECONDS:
            return
        self._caught_up = True
        closed = self.builder.close_due(utcnow() - self._delay)
        if closed or self._unsaved:
            await self._save_closed(closed)

    async def flush(self) -> None:
        """Store the forming candles that changed (a closed row is never reopened by this)."""
        bars = self.builder.take_dirty()
        if bars:
            async with self.rt.engine.begin() as conn:
                await store.upsert(conn, bars)

    def forming(self, venue: str, symbol: str, timeframe: Timeframe) -> Bar | None:
        return self.builder.forming(venue, symbol, timeframe)

    async def _save_closed(self, bars: list[Bar]) -> None:
        """Store and publish closed candles; on failure they are kept and tried again by the timer."""
        self._unsaved.extend(bars)
        pending, self._unsaved = self._unsaved, []
        try:
            async with self.rt.outbox.transaction() as tx:
                await store.upsert(tx.conn, pending)
                for bar in pending:
                    msg_id = candle_msg_id(bar.venue, bar.symbol, bar.timeframe, bar.t)
                    subject = subjects.candle(bar.venue, bar.symbol, bar.timeframe.value)
                    tx.emit(subject, candle_message(bar), headers={"Nats-Msg-Id": msg_id})
        except Exception as exc:
            self._unsaved = pending + self._unsaved
            log.warning(
                "storing closed candles failed; retrying", extra={"count": len(pending), "error": repr(exc)}
            )
