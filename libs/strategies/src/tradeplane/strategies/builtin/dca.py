"""DCA: a ladder of market buys at fixed intervals or price drops, closed at a take-profit or
stop-loss on the average entry."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, Self

from pydantic import Field, model_validator
from tradeplane.contracts import Quantity, Side
from tradeplane.contracts.orders import SYMBOL_PATTERN

from ..candles import Candle
from ..context import OpenOrder, StrategyContext
from ..intents import Fill, LogLevel
from ..strategy import Strategy, StrategyConfig, updatable
from ._trading import buy_with_quote, sell_all

TIMER = "dca"


class DcaConfig(StrategyConfig):
    symbol: str = Field(pattern=SYMBOL_PATTERN, examples=["BTC/USDT"])
    order_quote: Quantity = updatable(description="Quote spent by each buy of the ladder.")
    max_orders: int = updatable(5, ge=1, le=100)
    interval_seconds: int | None = updatable(None, ge=60, description="Buy the next rung after this long.")
    price_drop_pct: Quantity | None = updatable(
        None, lt=100, description="Buy the next rung when the price falls this far below the last buy."
    )
    take_profit_pct: Quantity = updatable(Decimal(2))
    stop_loss_pct: Quantity | None = updatable(None, lt=100)

    @model_validator(mode="after")
    def _has_trigger(self) -> Self:
        if self.interval_seconds is None and self.price_drop_pct is None:
            raise ValueError("set intervalSeconds, priceDropPct or both")
        return self


class Dca(Strategy[DcaConfig]):
    """Buys the first rung on the first candle, more on its triggers, and sells everything at TP or SL."""

    def __init__(self, config: DcaConfig) -> None:
        super().__init__(config)
        self.rungs = 0
        self.last_buy: Decimal | None = None
        self.position = Decimal(0)
        self.cost = Decimal(0)

    @property
    def average_entry(self) -> Decimal | None:
        return self.cost / self.position if self.position > 0 else None

    def state(self) -> dict[str, Any]:
        last = None if self.last_buy is None else str(self.last_buy)
        return {"rungs": self.rungs, "lastBuy": last, "position": str(self.position), "cost": str(self.cost)}

    def restore(self, state: dict[str, Any]) -> None:
        self.rungs = int(state["rungs"])
        self.last_buy = None if state["lastBuy"] is None else Decimal(state["lastBuy"])
        self.position, self.cost = Decimal(state["position"]), Decimal(state["cost"])

    def on_start(self, ctx: StrategyContext) -> None:
        if self.config.interval_seconds is not None:
            ctx.set_timer(TIMER, every=timedelta(seconds=self.config.interval_seconds))

    def on_candle(self, ctx: StrategyContext, candle: Candle) -> None:
        if candle.symbol != self.config.symbol or ctx.open_orders:
            return
        if self._exit(ctx, candle.close):
            return
        drop = self.config.price_drop_pct
        dropped = (
            drop is not None
            and self.last_buy is not None
            and candle.close <= self.last_buy * (1 - drop / 100)
        )
        if self.rungs == 0 or dropped:
            self._buy(ctx, "price drop" if dropped else "first rung")

    def on_timer(self, ctx: StrategyContext, name: str) -> None:
        if name == TIMER and not ctx.open_orders:
            self._buy(ctx, "interval")

    def on_fill(self, ctx: StrategyContext, fill: Fill, order: OpenOrder) -> None:
        fee_in_quote = fill.fee if fill.fee_currency in (None, order.intent.quote) else Decimal(0)
        if order.intent.side is Side.BUY:
            self.position += fill.quantity
            self.cost += fill.quantity * fill.price + fee_in_quote
        elif order.remaining <= 0:
            ctx.log(LogLevel.INFO, "ladder closed", {"rungs": self.rungs})
            self.rungs, self.last_buy, self.position, self.cost = 0, None, Decimal(0), Decimal(0)

    def _exit(self, ctx: StrategyContext, price: Decimal) -> bool:
        average = self.average_entry
        if average is None:
            return False
        if price >= average * (1 + self.config.take_profit_pct / 100):
            return sell_all(ctx, self.config.symbol, "take profit") is not None
        stop = self.config.stop_loss_pct
        if stop is not None and price <= average * (1 - stop / 100):
            return sell_all(ctx, self.config.symbol, "stop loss") is not None
        return False

    def _buy(self, ctx: StrategyContext, reason: str) -> None:
        if self.rungs >= self.config.max_orders:
            return
        if buy_with_quote(ctx, self.config.symbol, self.config.order_quote, f"dca {reason}") is not None:
            self.rungs += 1
            self.last_buy = ctx.price(self.config.symbol)
