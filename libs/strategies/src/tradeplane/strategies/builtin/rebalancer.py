"""Rebalancer: keep target weights of the bot's allocation, selling before buying, when drift passes a
threshold."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import Field, model_validator
from tradeplane.contracts import NonNegative

from ..context import OpenOrder, StrategyContext
from ..intents import Fill, LogLevel
from ..strategy import Strategy, StrategyConfig, updatable

ASSET_PATTERN = r"^[A-Z0-9]{1,20}$"
TIMER = "rebalance"

Asset = Annotated[str, Field(pattern=ASSET_PATTERN)]


class RebalancerConfig(StrategyConfig):
    targets: dict[Asset, NonNegative] = updatable(
        max_length=50,
        description='Weights of the allocation, e.g. {"BTC": "0.5", "USDT": "0.5"}; they sum to 1.',
    )
    quote: Asset = Field("USDT", description="The asset prices are quoted in; one of the targets.")
    interval_seconds: int = updatable(3600, ge=60, le=31 * 86400)
    drift_threshold_pct: NonNegative = updatable(
        Decimal(5), le=100, description="Rebalance when a weight is this many percentage points off."
    )

    @model_validator(mode="after")
    def _weights_fit(self) -> Self:
        if sum(self.targets.values(), Decimal(0)) != 1:
            raise ValueError("targets must sum to 1")
        if self.quote not in self.targets:
            raise ValueError("the quote asset must be one of the targets")
        return self


class Rebalancer(Strategy[RebalancerConfig]):
    """On its timer or a manual run, trades back to the targets if any weight drifted past the threshold."""

    def __init__(self, config: RebalancerConfig) -> None:
        super().__init__(config)
        self._follow_up = False

    def state(self) -> dict[str, Any]:
        return {"followUp": self._follow_up}

    def restore(self, state: dict[str, Any]) -> None:
        self._follow_up = bool(state["followUp"])

    def on_start(self, ctx: StrategyContext) -> None:
        ctx.set_timer(TIMER, at=ctx.now, every=timedelta(seconds=self.config.interval_seconds))

    def update_config(self, ctx: StrategyContext, config: RebalancerConfig) -> None:
        if config.interval_seconds != self.config.interval_seconds:
            ctx.set_timer(TIMER, every=timedelta(seconds=config.interval_seconds))
        super().update_config(ctx, config)

    def on_timer(self, ctx: StrategyContext, name: str) -> None:
        if name == TIMER:
            self.rebalance(ctx)

    def on_run(self, ctx: StrategyContext) -> None:
        self.rebalance(ctx)

    def on_fill(self, ctx: StrategyContext, fill: Fill, order: OpenOrder) -> None:
        # Buys cut short for want of quote go out once the sells have filled and paid for them.
        if self._follow_up and not ctx.open_orders:
            self._follow_up = False
            self.rebalance(ctx)

    def rebalance(self, ctx: StrategyContext) -> None:
        if ctx.open_orders:
            ctx.log(LogLevel.INFO, "rebalance skipped: the previous one is still open")
            return
        prices = self._prices(ctx)
        if prices is None:
            return
        values = {asset: ctx.balance(asset) * price for asset, price in prices.items()}
        total = sum(values.values(), Decimal(0))
        if total <= 0:
            ctx.log(LogLevel.WARNING, "rebalance skipped: the allocation is empty")
            return
        weights = {asset: value / total for asset, value in values.items()}
        drift = max(abs(weights[a] - w) for a, w in self.config.targets.items()) * 100
        summary = {"weights": _text(weights), "targets": _text(self.config.targets), "driftPct": str(drift)}
        if drift <= self.config.drift_threshold_pct:
            ctx.log(LogLevel.INFO, "within the drift threshold: nothing to do", summary)
            return
        ctx.log(LogLevel.INFO, "rebalancing", summary)
        gaps = {
            a: self.config.targets[a] * total - values[a] for a in sorted(prices) if a != self.config.quote
        }
        sold = self._sell(ctx, gaps, prices)
        short = self._buy(ctx, gaps, prices)
        self._follow_up = sold and short

    def _prices(self, ctx: StrategyContext) -> dict[str, Decimal] | None:
        prices = {self.config.quote: Decimal(1)}
        for asset in self.config.targets:
            if asset != self.config.quote:
                price = ctx.price(self._symbol(asset))
                if price is None:
                    ctx.log(LogLevel.INFO, "rebalance skipped: no price yet", {"symbol": self._symbol(asset)})
                    return None
                prices[asset] = price
        return prices

    def _sell(self, ctx: StrategyContext, gaps: dict[str, Decimal], prices: dict[str, Decimal]) -> bool:
        sold = False
        for asset, gap in gaps.items():
            if gap < 0:
                sold |= self._order(
                    ctx,
                    asset,
                    ctx.round_quantity(self._symbol(asset), -gap / prices[asset]),
                    prices,
                    buy=False,
                )
        return sold

    def _buy(self, ctx: StrategyContext, gaps: dict[str, Decimal], prices: dict[str, Decimal]) -> bool:
        """Buys within the free quote; True if some were cut short."""
        short = False
        for asset, gap in gaps.items():
            if gap <= 0:
                continue
            symbol = self._symbol(asset)
            affordable = ctx.free(self.config.quote) / (prices[asset] * (1 + ctx.market_buy_buffer))
            wanted = gap / prices[asset]
            short |= affordable < wanted
            self._order(ctx, asset, ctx.round_quantity(symbol, min(wanted, affordable)), prices, buy=True)
        return short

    def _order(
        self, ctx: StrategyContext, asset: str, quantity: Decimal, prices: dict[str, Decimal], *, buy: bool
    ) -> bool:
        symbol = self._symbol(asset)
        if not ctx.meets_minimums(symbol, quantity, prices[asset]):
            ctx.log(
                LogLevel.INFO,
                "order below the market minimums: skipped",
                {"symbol": symbol, "quantity": str(quantity)},
            )
            return False
        sent = ctx.buy(symbol, quantity) if buy else ctx.sell(symbol, quantity)
        return sent is not None

    def _symbol(self, asset: str) -> str:
        return f"{asset}/{self.config.quote}"


def _text(numbers: dict[str, Decimal]) -> dict[str, str]:
    return {k: str(v) for k, v in numbers.items()}
