"""Candles as strategies see them: closed bars with exact prices and validated OHLC invariants."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from tradeplane.contracts import NonNegative, Quantity, UtcDatetime
from tradeplane.contracts.market import CandleClosed, OhlcRules, Timeframe
from tradeplane.contracts.orders import SYMBOL_PATTERN

__all__ = ["Candle", "Timeframe"]


class Candle(BaseModel, OhlcRules):
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

    @classmethod
    def of(cls, closed: CandleClosed) -> Candle:
        """The bar of a closed candle from the bus (its venue and envelope left out)."""
        return cls.model_validate(closed, from_attributes=True)
