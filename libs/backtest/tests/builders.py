"""Hand-made candles, requests and backtests for the engine tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tradeplane.backtest import Backtest, BacktestRequest, BacktestResult, Dataset, Period
from tradeplane.strategies.candles import Candle, Timeframe
from tradeplane.strategies.strategy import Strategy

T0 = datetime(2024, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
RELAXED = {
    "maxPositionPct": 100,
    "maxOrderNotional": "1000000",
    "maxDailyTrades": 10000,
    "maxOrdersPerMinute": 10000,
    "maxDailyLossUsd": "1000000",
    "maxWeeklyLossUsd": "1000000",
    "maxDailyLossPct": 100,
    "circuitBreakerDailyLossPct": 100,
    "maxDrawdownPct": 100,
}
GRID = {"symbol": "BTC/USDT", "lower": "60000", "upper": "62000", "levels": 3, "quantityPerLevel": "0.01"}


def candles(rows: Iterable[tuple[str, str, str, str]], symbol: str = "BTC/USDT") -> list[Candle]:
    """1-minute candles from (open, high, low, close), one a minute from T0."""
    return [
        Candle(
            symbol=symbol,
            timeframe=Timeframe.M1,
            t=T0 + MINUTE * i,
            open=Decimal(o),
            high=Decimal(h),
            low=Decimal(lo),
            close=Decimal(c),
            volume=Decimal(1),
        )
        for i, (o, h, lo, c) in enumerate(rows)
    ]


def request(
    count: int,
    *,
    strategy: str = "grid",
    config: Mapping[str, Any] = GRID,
    balances: Mapping[str, str] | None = None,
    limits: Mapping[str, Any] | None = RELAXED,
    **extra: Any,
) -> BacktestRequest:
    return BacktestRequest.model_validate(
        {
            "strategy": strategy,
            "config": dict(config),
            "timeframe": "1m",
            "start": T0.isoformat(),
            "end": (T0 + MINUTE * count).isoformat(),
            "initialBalances": dict(balances or {"USDT": "10000"}),
            "limits": limits,
            **extra,
        }
    )


def dataset(rows: Sequence[Candle]) -> Dataset:
    period = Period(Timeframe.M1, rows[0].t, rows[-1].t + MINUTE)
    return Dataset("test:hand-made", (rows[0].symbol,), period, lambda: iter(rows))


def run(
    rows: Sequence[Candle], strategy: Strategy[Any] | None = None, **request_fields: Any
) -> BacktestResult:
    return Backtest(request(len(rows), **request_fields), dataset(rows), strategy=strategy).run()
