"""Candles as strategies see them: closed bars with exact prices and validated OHLC invariants."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from tradeplane.contracts import NonNegative, Quantity, UtcDatetime
from tradeplane.contracts.market import Timeframe
from tradeplane.contracts.orders import SYMBOL_PATTERN

__all__ = ["Candle", "Timeframe"]


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
