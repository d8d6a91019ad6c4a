"""Market data shared by marketdata (which builds and publishes it), bots and backtests (which read it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Self

from pydantic import Field, model_validator

from .base import Message, NonNegative, Quantity, UtcDatetime
from .orders import SYMBOL_PATTERN


class Timeframe(StrEnum):
    """Candle widths: the API's `timeframe` values."""

    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"

    @property
    def duration(self) -> timedelta:
        return _DURATIONS[self]

    def floor(self, at: datetime) -> datetime:
        """The open time of the candle of this width that contains `at` (UTC, aligned to the epoch)."""
        width = int(self.duration.total_seconds())
        seconds = int(at.timestamp())
        return datetime.fromtimestamp(seconds - seconds % width, tz=at.tzinfo)


_DURATIONS = {
    Timeframe.M1: timedelta(minutes=1),
    Timeframe.M5: timedelta(minutes=5),
    Timeframe.M15: timedelta(minutes=15),
    Timeframe.H1: timedelta(hours=1),
    Timeframe.H4: timedelta(hours=4),
    Timeframe.D1: timedelta(days=1),
}


class BarTime:
    """The close time of a bar that opens at `t` and spans `timeframe`: mixed into every candle model
    (`CandleClosed`, strategies' `Candle`, marketdata's forming `Bar`)."""

    __slots__ = ()

    if TYPE_CHECKING:
        timeframe: Timeframe
        t: datetime

    @property
    def closes_at(self) -> datetime:
        return self.t + self.timeframe.duration


class OhlcRules(BarTime):
    """The OHLC invariant of a pydantic candle model (`CandleClosed`, strategies' `Candle`)."""

    __slots__ = ()

    if TYPE_CHECKING:
        open: Decimal
        high: Decimal
        low: Decimal
        close: Decimal

    @model_validator(mode="after")
    def _ohlc_consistent(self) -> Self:
        if self.low > min(self.open, self.close) or self.high < max(self.open, self.close):
            raise ValueError("a candle needs low <= open, close <= high")
        return self


class CandleClosed(Message, OhlcRules):
    """One closed bar of `symbol` on `venue`, opening at `t`: published once it closed, never before.

    Subject `subjects.candle(venue, symbol, timeframe)`; the message id `candle_msg_id(...)` makes a
    republished candle (a restarted marketdata) a duplicate JetStream drops.
    """

    venue: str = Field(min_length=1, max_length=32)
    symbol: str = Field(pattern=SYMBOL_PATTERN)
    timeframe: Timeframe
    t: UtcDatetime
    open: Quantity
    high: Quantity
    low: Quantity
    close: Quantity
    volume: NonNegative


def candle_msg_id(venue: str, symbol: str, timeframe: Timeframe, t: datetime) -> str:
    return f"candle:{venue}:{symbol}:{timeframe.value}:{t.isoformat()}"
