"""Every built-in strategy runs through the engine on synthetic data and gets a full report."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from tradeplane.backtest import EXAMPLE, Backtest, BacktestRequest, run_backtest
from tradeplane.strategies.registry import STRATEGIES

from .builders import RELAXED

API_METRICS = {
    "totalReturnPct",
    "cagr",
    "sharpeRatio",
    "sortinoRatio",
    "calmarRatio",
    "maxDrawdownPct",
    "winRate",
    "profitFactor",
    "expectancy",
    "totalTrades",
    "fees",
    "exposurePct",
    "buyAndHoldReturnPct",
}
CONFIGS: dict[str, dict[str, Any]] = {
    "rebalancer": {"targets": {"BTC": "0.4", "ETH": "0.3", "USDT": "0.3"}, "driftThresholdPct": "2"},
    "dca": {
        "symbol": "BTC/USDT",
        "orderQuote": "500",
        "maxOrders": 5,
        "intervalSeconds": 86400,
        "takeProfitPct": "5",
    },
    "trend": {"symbol": "BTC/USDT", "timeframe": "1h", "fastPeriod": 5, "slowPeriod": 20, "investPct": "90"},
    "mean_reversion": {
        "symbol": "BTC/USDT",
        "timeframe": "1h",
        "period": 20,
        "stdDevs": "2",
        "investPct": "90",
    },
    "grid": EXAMPLE["config"],
}


def request(strategy: str) -> BacktestRequest:
    return BacktestRequest.model_validate(
        {
            "strategy": strategy,
            "config": CONFIGS[strategy],
            "timeframe": "1h",
            "start": "2024-01-01T00:00:00Z",
            "end": "2024-03-01T00:00:00Z",
            "initialBalances": {"USDT": "10000", "BTC": "0.05"},
            "dataset": "synthetic:range:5",
            "limits": RELAXED,
        }
    )


def test_every_builtin_has_a_config_here() -> None:
    assert set(CONFIGS) == set(STRATEGIES)


@pytest.mark.parametrize("strategy", sorted(CONFIGS))
def test_a_builtin_trades_and_gets_every_metric(strategy: str) -> None:
    result = run_backtest(request(strategy)).to_json()
    assert set(result["metrics"]) >= API_METRICS
    assert result["metrics"]["totalFills"] > 0
    assert result["metrics"]["initialEquity"] == "13250.00000000"  # 10,000 + 0.05 x 65,000
    assert len(result["equity"]) == len(result["drawdown"]) > 100
    assert result["equity"][-1]["value"] == result["metrics"]["finalEquity"]


def test_progress_is_reported_up_to_the_end() -> None:
    seen: list[float] = []
    Backtest(request("grid"), progress=seen.append).run()
    assert seen == sorted(seen)
    assert len(seen) >= 99
    assert seen[-1] == 1.0


def test_a_rebalancer_reports_its_rebalances_and_how_far_it_strays_from_its_targets() -> None:
    metrics = run_backtest(request("rebalancer")).metrics
    # It starts off target (13,250 of equity, 3,250 in BTC) and rebalances at least that once.
    assert metrics["rebalances"] >= 1
    # Hourly weights stay within a few percentage points of 40/30/30 (the drift threshold is 2).
    assert 0 < Decimal(metrics["trackingErrorPct"]) < 5
    assert "rebalances" not in run_backtest(request("grid")).metrics
