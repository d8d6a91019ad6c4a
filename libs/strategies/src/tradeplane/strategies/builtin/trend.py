"""Trend: EMA fast/slow crossover on one timeframe: buy on a golden cross, sell on a death cross."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Self

from pydantic import Field, model_validator
from tradeplane.contracts import Quantity
from tradeplane.contracts.orders import SYMBOL_PATTERN

from ..candles import Candle, Timeframe
from ..context import StrategyContext
from ..indicators import Ema
from ..strategy import Strategy, StrategyConfig, updatable
from ._trading import buy_with_quote, sell_all


class TrendConfig(StrategyConfig):
    symbol: str = Field(pattern=SYMBOL_PATTERN, examples=["BTC/USDT"])
    timeframe: Timeframe = Timeframe.H1
    fast_period: int = Field(12, ge=1, le=500)
    slow_period: int = Field(26, ge=2, le=1000)
    invest_pct: Quantity = updatable(
        Decimal(100), le=100, description="Share of the free quote a buy spends."
    )

    @model_validator(mode="after")
    def _fast_below_slow(self) -> Self:
        if self.fast_period >= self.slow_period:
            raise ValueError("fastPeriod must be below slowPeriod")
        return self


class Trend(Strategy[TrendConfig]):
    """Acts on the crossing itself, not on the state: one trade per cross."""

    def __init__(self, config: TrendConfig) -> None:
        super().__init__(config)
        self.fast = Ema(config.fast_period)
        self.slow = Ema(config.slow_period)
        self._previous: Decimal | None = None

    def state(self) -> dict[str, Any]:
        previous = None if self._previous is None else str(self._previous)
        return {"fast": self.fast.state(), "slow": self.slow.state(), "previous": previous}

    def restore(self, state: dict[str, Any]) -> None:
        self.fast.restore(state["fast"])
        self.slow.restore(state["slow"])
        self._previous = None if state["previous"] is None else Decimal(state["previous"])

    def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
        if candle.symbol != self.config.symbol or candle.timeframe != self.config.timeframe:
            return
        fast, slow = self.fast.update(candle.close), self.slow.update(candle.close)
        if fast is None or slow is None:
            return
        gap, previous, self._previous = fast - slow, self._previous, fast - slow
        if previous is None:
            return
        quote = ctx.free(self.config.symbol.split("/")[1])
        if previous <= 0 < gap:
            buy_with_quote(ctx, self.config.symbol, quote * self.config.invest_pct / 100, "golden cross")
        elif previous >= 0 > gap:
            sell_all(ctx, self.config.symbol, "death cross")
