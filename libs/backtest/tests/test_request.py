"""Bad requests are refused with the field that is wrong, before any candle is made."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from tradeplane.backtest import BacktestRequest

GOOD: dict[str, Any] = {
    "strategy": "grid",
    "config": {
        "symbol": "BTC/USDT",
        "lower": "60000",
        "upper": "70000",
        "levels": 5,
        "quantityPerLevel": "0.01",
    },
    "timeframe": "1m",
    "start": "2024-01-01T00:00:00Z",
    "end": "2024-01-02T00:00:00Z",
    "initialBalances": {"USDT": "10000"},
    "dataset": "synthetic:range:42",
}


def field_of(**changes: Any) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        BacktestRequest.model_validate({**GOOD, **changes})
    error = caught.value.errors()[0]
    return ".".join(str(p) for p in error["loc"]), error["msg"]


def test_a_good_request_fills_in_its_defaults() -> None:
    request = BacktestRequest.model_validate(GOOD)
    assert request.markets == ("BTC/USDT",)
    assert request.period.count == 1440
    canonical = request.canonical()
    assert canonical["intrabar"] == "adaptive"
    assert canonical["symbols"] == ["BTC/USDT"]
    assert canonical["config"]["quantityPerLevel"] == "0.01"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end": "2023-12-31T00:00:00Z"}, "end", "end must be after start"),
        ({"strategy": "martingale"}, "strategy", "unknown strategy 'martingale'"),
        (
            {"config": {"symbol": "BTC/USDT"}},
            "config",
            "config does not fit the grid schema: lower: Field required",
        ),
        (
            {"config": {**GOOD["config"], "levels": 1}},
            "config",
            "levels: Input should be greater than or equal to 2",
        ),
        ({"end": "2040-01-01T00:00:00Z"}, "end", "exceed the limit"),
        ({"symbols": ["DOGE/USDT"]}, "symbols", "no market data for ['DOGE/USDT']"),
        ({"dataset": "synthetic:sideways:1"}, "dataset", "unknown regime"),
        ({"initialBalances": {"USDT": "0"}}, "initialBalances", "needs a positive balance"),
        (
            {"initialBalances": {"USDT": "1", "EUR": "5"}},
            "initialBalances",
            "EUR is not traded in the replayed",
        ),
        ({"timeframe": "2m"}, "timeframe", "Input should be"),
        ({"limits": {"maxPositionPct": 1}}, "limits.maxPositionPct", "greater than or equal to 2"),
    ],
)
def test_a_bad_request_names_its_field(changes: dict[str, Any], field: str, message: str) -> None:
    found_field, found_message = field_of(**changes)
    assert found_field == field
    assert message in found_message


def test_a_rebalancer_replays_its_target_markets() -> None:
    config = {"targets": {"BTC": "0.5", "ETH": "0.25", "USDT": "0.25"}, "intervalSeconds": 3600}
    request = BacktestRequest.model_validate({**GOOD, "strategy": "rebalancer", "config": config})
    assert request.markets == ("BTC/USDT", "ETH/USDT")
