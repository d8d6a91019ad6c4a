"""Candles as strategies see them: closed bars with exact prices and validated OHLC invariants."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from tradeplane.contracts import NonNegative, Quantity, UtcDatetime
from tradeplane.contracts.orders import SYMBOL_PATTERN


class Timeframe(StrEnum):
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"

    @property
    def duration(self) -> timedelta:
        return _DURATIONS[self]


_DURATIONS = {
    Timeframe.M1: timedelta(minutes=1),
    Timeframe.M5: timedelta(minutes=5),
    Timeframe.M15: timedelta(minutes=15),
    Timeframe.H1: timedelta(hours=1),
    Timeframe.H4: timedelta(hours=4),
    Timeframe.D1: timedelta(days=1),
}


class Candle(BaseModel):
    """One bar of `symbol` opening at `t`; a strategy sees it only at `closes_at`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str = Field(pattern=SYMBOL_PATTERN)
    timeframe: Timeframe
    t: UtcDatetime
    open: Quantity
    high: Quantity
    low: Quantity
    close: Quantity
    volume: NonNegative

    @model_validator(mode="after")
    def _ohlc_consistent(self) -> Self:
        if self.low > min(self.open, self.close) or self.high < max(self.open, self.close):
            raise ValueError("a candle needs low <= open, close <= high")
        return self

    @property
    def closes_at(self) -> datetime:
        return self.t + self.timeframe.duration
