"""Mean reversion: Bollinger bands; buy a close below the lower band, sell a close above the middle
(or upper) band."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field
from tradeplane.contracts import Quantity
from tradeplane.contracts.orders import SYMBOL_PATTERN

from ..candles import Candle, Timeframe
from ..context import StrategyContext
from ..indicators import Bollinger
from ..strategy import Strategy, StrategyConfig, updatable
from ._trading import buy_with_quote, holds, sell_all


class ExitBand(StrEnum):
    MIDDLE = "middle"
    UPPER = "upper"


class MeanReversionConfig(StrategyConfig):
    symbol: str = Field(pattern=SYMBOL_PATTERN, examples=["BTC/USDT"])
    timeframe: Timeframe = Timeframe.H1
    period: int = Field(20, ge=2, le=500)
    std_devs: Quantity = Field(Decimal(2), le=10)
    exit_band: ExitBand = updatable(ExitBand.MIDDLE)
    invest_pct: Quantity = updatable(
        Decimal(100), le=100, description="Share of the free quote a buy spends."
    )


class MeanReversion(Strategy[MeanReversionConfig]):
    """Flat or long: enters below the lower band, exits above the chosen band."""

    def __init__(self, config: MeanReversionConfig) -> None:
        super().__init__(config)
        self.bands = Bollinger(config.period, config.std_devs)

    def state(self) -> dict[str, Any]:
        return {"bands": self.bands.state()}

    def restore(self, state: dict[str, Any]) -> None:
        self.bands.restore(state["bands"])

    def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
        if candle.symbol != self.config.symbol or candle.timeframe != self.config.timeframe:
            return
        bands = self.bands.update(candle.close)
        if bands is None or ctx.open_orders:
            return
        lower, middle, upper = bands
        exit_at = middle if self.config.exit_band is ExitBand.MIDDLE else upper
        if holds(ctx, self.config.symbol):
            if candle.close > exit_at:
                sell_all(ctx, self.config.symbol, f"close above the {self.config.exit_band} band")
        elif candle.close < lower:
            quote = ctx.free(self.config.symbol.split("/")[1])
            buy_with_quote(
                ctx, self.config.symbol, quote * self.config.invest_pct / 100, "close below the lower band"
            )
