"""Tick replay: what a bot saw on the bus while it ran on paper, replayed event by event.

The events are the venue's tickers and the closed candles, in the order the bus delivered them (the
stream sequence). Each ticker goes to the same `PaperEngine` the paper venue runs (same settings,
so the same liquidity per tick and fees): the orders resting from before fill against it, the
strategy is told the fills at once and what it answers goes in against that same ticker, as the
live venue submits an order against the latest ticker it has. Each candle goes to the strategy at
its close, its orders in against the latest ticker. Nothing is interpolated: no intrabar path.

Parity holds when, live, the bot's answer to an event reached the venue before the next ticker did
(a ticker arriving in between would be the one the live order meets). See docs/architecture.md,
"Backtests".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from tradeplane.contracts import Ticker
from tradeplane.contracts.market import CandleClosed
from tradeplane.paper.book import PaperSettings
from tradeplane.paper.feed import Tick
from tradeplane.paper.markets import PAPER_MARKETS, MarketSpec
from tradeplane.strategies.candles import Candle

from .data import Dataset, Hasher
from .engine import Backtest, Progress
from .report import BacktestResult
from .request import BacktestRequest

Event = Tick | Candle


def event_of(message: Ticker | CandleClosed) -> Event:
    """The replay's event for a ticker or closed candle read back from the bus."""
    if isinstance(message, Ticker):
        return Tick(message.symbol, message.bid, message.ask, message.last, message.at)
    return Candle.of(message)


@dataclass(frozen=True, slots=True)
class Recording:
    """Tickers and candles of a period, in bus order."""

    events: Sequence[Event]

    def candles(self) -> Iterator[Candle]:
        return (e for e in self.events if isinstance(e, Candle))


class TickReplay(Backtest):
    """A backtest whose market is a recording: `run()` once and read the result."""

    def __init__(
        self,
        request: BacktestRequest,
        recording: Recording,
        *,
        markets: Mapping[str, MarketSpec] = PAPER_MARKETS,
        settings: PaperSettings | None = None,
        progress: Progress | None = None,
    ) -> None:
        dataset = Dataset("recorded-ticks", request.markets, request.period, recording.candles)
        super().__init__(request, dataset, markets=markets, settings=settings, progress=progress)
        self.recording = recording

    def run(self) -> BacktestResult:
        request = self.request
        hasher = Hasher()
        self._process([*self.driver.start(request.start)], request.start)
        candles = 0
        for event in self.recording.events:
            if isinstance(event, Tick):
                self._tick(event)
            elif event.symbol in self._markets:
                hasher.add(event)
                candles += 1
                self._candle(event)
        return self._finish(hasher.hexdigest(), candles)

    def _tick(self, tick: Tick) -> None:
        symbol = tick.symbol
        if symbol not in self._markets:
            return
        if symbol not in self._first_open:
            self._opening(symbol, tick.last, tick.at)
        self._prices[symbol] = tick.last
        self.driver.ctx.record_price(symbol, tick.last)
        self._apply(self.engine.on_tick(tick), tick.at)

    def _candle(self, candle: Candle) -> None:
        if candle.symbol not in self._first_open:
            self._opening(candle.symbol, candle.open, candle.t)
        closes = candle.t + candle.timeframe.duration
        outputs = self.driver.candle(candle)
        if any(out.actions for out in outputs):
            self._process(outputs, closes)
        self._mark(closes)


def replay_ticks(
    request: BacktestRequest,
    events: Sequence[Event],
    *,
    settings: PaperSettings | None = None,
    progress: Progress | None = None,
) -> BacktestResult:
    """Replay recorded tickers and candles (bus order) through `request`'s strategy and the paper
    matching with `settings` (those of the paper venue that traded them)."""
    return TickReplay(request, Recording(events), settings=settings, progress=progress).run()
