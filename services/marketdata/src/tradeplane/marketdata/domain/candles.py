"""Candles from ticks: one bar per (venue, symbol, timeframe) forming, closed at its boundary.

Pure and clock-free: the caller passes every time. A bar opens with the first tick inside its period
and closes either when a tick of a later period arrives or when `close_due(now)` finds its end passed.
A period without ticks makes no bar. A tick older than what a bar already holds (a redelivered or
replayed tick, or one for a period already closed) changes nothing, so replaying the ticker stream
after a restart rebuilds the forming bars without counting a tick twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from tradeplane.contracts.market import BarTime, Timeframe

Key = tuple[str, str, Timeframe]
"""(venue, symbol, timeframe)."""


@dataclass(frozen=True, slots=True)
class Bar(BarTime):
    venue: str
    symbol: str
    timeframe: Timeframe
    t: datetime
    """Open time: the start of the period (aligned to the epoch, UTC)."""
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    last_at: datetime
    """Time of the last tick in the bar: ticks at or before it are not counted again."""
    closed: bool = False

    @property
    def key(self) -> Key:
        return (self.venue, self.symbol, self.timeframe)

    def with_tick(self, price: Decimal, volume: Decimal, at: datetime) -> Bar:
        return replace(
            self,
            high=max(self.high, price),
            low=min(self.low, price),
            close=price,
            volume=self.volume + volume,
            last_at=at,
        )


def opening(
    venue: str, symbol: str, timeframe: Timeframe, price: Decimal, volume: Decimal, at: datetime
) -> Bar:
    return Bar(venue, symbol, timeframe, timeframe.floor(at), price, price, price, price, volume, at)


class CandleBuilder:
    """The forming bar of every key, and how far each key is closed (ticks before that are late)."""

    def __init__(self, timeframes: Sequence[Timeframe]) -> None:
        self.timeframes = tuple(dict.fromkeys(timeframes))
        self._forming: dict[Key, Bar] = {}
        self._closed_until: dict[Key, datetime] = {}
        self._dirty: set[Key] = set()

    def resume(self, stored: Iterable[Bar]) -> None:
        """Continue from the latest stored bar of each key: a closed one ends that key's past, a forming
        one goes on forming (the ticks it already counted are skipped when replayed)."""
        for bar in stored:
            if bar.timeframe not in self.timeframes:
                continue
            if bar.closed:
                self._closed_until[bar.key] = max(
                    bar.closes_at, self._closed_until.get(bar.key, bar.closes_at)
                )
            else:
                self._forming[bar.key] = bar
                self._closed_until[bar.key] = bar.t

    def add(
        self, venue: str, symbol: str, price: Decimal, at: datetime, volume: Decimal = Decimal(0)
    ) -> list[Bar]:
        """Count one tick; returns the bars it closed (their period ended before this tick)."""
        closed: list[Bar] = []
        for timeframe in self.timeframes:
            key = (venue, symbol, timeframe)
            if at < self._closed_until.get(key, at):
                continue  # late: that period is closed (and published) already
            bar = self._forming.get(key)
            if bar is not None and at <= bar.last_at:
                continue  # counted already (a redelivery or a replay)
            if bar is not None and at >= bar.closes_at:
                closed.append(self._close(bar))
                bar = None
            self._forming[key] = (
                opening(venue, symbol, timeframe, price, volume, at)
                if bar is None
                else bar.with_tick(price, volume, at)
            )
            self._dirty.add(key)
        return closed

    def close_due(self, now: datetime) -> list[Bar]:
        """Close every bar whose period ended at or before `now`."""
        due = [bar for bar in self._forming.values() if bar.closes_at <= now]
        return [self._close(bar) for bar in sorted(due, key=lambda b: (b.t, b.key))]

    def forming(self, venue: str, symbol: str, timeframe: Timeframe) -> Bar | None:
        return self._forming.get((venue, symbol, timeframe))

    def take_dirty(self) -> list[Bar]:
        """The forming bars changed since the last call (to store them)."""
        keys, self._dirty = self._dirty, set()
        return [self._forming[key] for key in keys if key in self._forming]

    def replay_from(self) -> datetime | None:
        """Where a replay of the ticks must start so no key misses one: per key, its forming bar's last
        tick, or the end of its last closed bar; None when nothing was resumed."""
        times = [
            bar.last_at if (bar := self._forming.get(key)) is not None else until
            for key, until in self._closed_until.items()
        ]
        return min(times) if times else None

    def _close(self, bar: Bar) -> Bar:
        del self._forming[bar.key]
        self._dirty.discard(bar.key)
        self._closed_until[bar.key] = bar.closes_at
        return replace(bar, closed=True)
