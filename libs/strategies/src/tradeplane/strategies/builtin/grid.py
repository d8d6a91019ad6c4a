"""Grid: limit buys below and sells above the price across fixed levels; a filled level is replaced
one level away."""

from __future__ import annotations

from typing import Any, Self
from uuid import UUID

from pydantic import Field, model_validator
from tradeplane.contracts import Quantity, Side
from tradeplane.contracts.orders import SYMBOL_PATTERN

from ..candles import Candle
from ..context import OpenOrder, StrategyContext
from ..intents import Fill, LogLevel
from ..strategy import Strategy, StrategyConfig


class GridConfig(StrategyConfig):
    symbol: str = Field(pattern=SYMBOL_PATTERN, examples=["BTC/USDT"])
    lower: Quantity
    upper: Quantity
    levels: int = Field(ge=2, le=200, description="Price levels from lower to upper, both included.")
    quantity_per_level: Quantity

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.lower >= self.upper:
            raise ValueError("lower must be below upper")
        return self


class Grid(Strategy[GridConfig]):
    """Places the grid after the first closed candle, leaving the level nearest the price empty, then
    trades each level back and forth."""

    def __init__(self, config: GridConfig) -> None:
        super().__init__(config)
        step = (config.upper - config.lower) / (config.levels - 1)
        self.prices = [config.lower + step * i for i in range(config.levels)]
        self._level: dict[UUID, int] = {}
        self._placed = False

    def state(self) -> dict[str, Any]:
        return {"placed": self._placed, "levels": {str(k): v for k, v in self._level.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        self._placed = bool(state["placed"])
        self._level = {UUID(k): int(v) for k, v in state["levels"].items()}

    def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
        if candle.symbol != self.config.symbol or self._placed:
            return
        self._placed = True
        # The level nearest the price stays empty: each level then holds at most one order.
        empty = min(range(len(self.prices)), key=lambda i: (abs(self.prices[i] - candle.close), i))
        buys, sells = range(empty), range(empty + 1, len(self.prices))
        placed = [i for i in reversed(buys) if self._place(ctx, Side.BUY, i)]
        placed += [i for i in sells if self._place(ctx, Side.SELL, i)]
        ctx.log(
            LogLevel.INFO,
            "grid placed",
            {
                "price": str(candle.close),
                "levels": len(placed),
                "skipped": len(buys) + len(sells) - len(placed),
            },
        )

    def on_fill(self, ctx: StrategyContext, fill: Fill, order: OpenOrder) -> None:
        if order.remaining > 0 or fill.intent_id not in self._level:
            return
        level = self._level.pop(fill.intent_id)
        side, target = (Side.SELL, level + 1) if order.intent.side is Side.BUY else (Side.BUY, level - 1)
        if 0 <= target < len(self.prices) and not self._place(ctx, side, target):
            ctx.log(
                LogLevel.WARNING,
                "grid level not replaced: the allocation does not cover it",
                {"side": side.value, "price": str(self.prices[target])},
            )

    def _place(self, ctx: StrategyContext, side: Side, level: int) -> bool:
        """A limit order at `level` if the bot's free balance covers it (else skipped quietly)."""
        symbol, quantity = self.config.symbol, self.config.quantity_per_level
        price = ctx.round_price(symbol, self.prices[level])
        base, quote = symbol.split("/")
        covered = quantity * price <= ctx.free(quote) if side is Side.BUY else quantity <= ctx.free(base)
        if not covered or not ctx.meets_minimums(symbol, quantity, price):
            return False
        intent = ctx.emit(ctx.intent(side, symbol, quantity, price))
        if intent is not None:
            self._level[intent.intent_id] = level
        return intent is not None
