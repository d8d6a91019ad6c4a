"""Hand-made candle sequences and a driven context for the strategy tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tradeplane.strategies import Candle, StrategyContext, StrategyDriver, Timeframe
from tradeplane.strategies.strategy import Strategy

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BOT = UUID("11111111-1111-4111-8111-111111111111")
D = Decimal


def candles(
    closes: Sequence[str | int], symbol: str = "BTC/USDT", timeframe: Timeframe = Timeframe.H1
) -> list[Candle]:
    """One candle per close, each opening at the previous close (the first at its own close)."""
    out: list[Candle] = []
    previous = D(closes[0])
    for i, raw in enumerate(closes):
        close = D(raw)
        out.append(
            Candle(
                symbol=symbol,
                timeframe=timeframe,
                t=T0 + i * timeframe.duration,
                open=previous,
                high=max(previous, close),
                low=min(previous, close),
                close=close,
                volume=D(1),
            )
        )
        previous = close
    return out


def uptrend(n: int = 60, start: int = 100, step: int = 1) -> list[str]:
    return [str(start + i * step) for i in range(n)]


def driver(strategy: Strategy[Any], balances: dict[str, str], seed: int = 0) -> StrategyDriver:
    ctx = StrategyContext(BOT, {k: D(v) for k, v in balances.items()}, now=T0, seed=seed)
    return StrategyDriver(strategy, ctx)
