"""A bot restored from its JSON snapshot mid-run decides exactly as one that never stopped."""

from __future__ import annotations

from typing import Any

import pytest
from tradeplane.strategies import run_offline

from .builders import D, candles, uptrend

RANGE = ["101", *(["94", "106"] * 5)]
DIP_THEN_UP = [str(100 - i) for i in range(20)] + [str(80 + 2 * i) for i in range(40)]

CASES: list[tuple[str, dict[str, Any], list[str], dict[str, str]]] = [
    (
        "rebalancer",
        {"targets": {"BTC": "0.5", "USDT": "0.5"}, "intervalSeconds": 3600, "driftThresholdPct": "5"},
        uptrend(60, start=100, step=2),
        {"USDT": "10000"},
    ),
    (
        "grid",
        {"symbol": "BTC/USDT", "lower": "90", "upper": "110", "levels": 5, "quantityPerLevel": "0.1"},
        RANGE,
        {"USDT": "1000", "BTC": "1"},
    ),
    (
        "dca",
        {
            "symbol": "BTC/USDT",
            "orderQuote": "101",
            "priceDropPct": "5",
            "takeProfitPct": "2",
            "intervalSeconds": 7200,
        },
        [str(100 + (i % 9) - 4 * (i % 4)) for i in range(40)],
        {"USDT": "1000"},
    ),
    ("trend", {"symbol": "BTC/USDT", "fastPeriod": 5, "slowPeriod": 15}, DIP_THEN_UP, {"USDT": "1000"}),
    (
        "mean_reversion",
        {"symbol": "BTC/USDT", "period": 4, "stdDevs": "1"},
        ["100", "102", "98", "100"] * 2 + ["92", "99", "103", "100", "91", "100", "104"],
        {"USDT": "1000"},
    ),
]


@pytest.mark.parametrize("strategy, config, closes, balances", CASES, ids=[c[0] for c in CASES])
def test_restart_from_a_snapshot_changes_nothing(
    strategy: str, config: dict[str, Any], closes: list[str], balances: dict[str, str]
) -> None:
    series = candles(closes)
    money = {k: D(v) for k, v in balances.items()}
    straight = run_offline(strategy, config, series, money)
    assert straight.intents, "the scenario should trade"
    for restart_after in (1, len(series) // 3, len(series) // 2, len(series) - 1):
        restarted = run_offline(strategy, config, series, money, restart_after=restart_after)
        assert restarted.intents == straight.intents
        assert restarted.fills == straight.fills
        assert restarted.balances == straight.balances
