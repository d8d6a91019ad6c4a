"""The registry: every built-in by id, its JSON Schema in camelCase with updatable fields marked,
validation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from tradeplane.strategies import STRATEGIES, UnknownStrategy, build, config_schema, updatable_fields
from tradeplane.strategies.builtin.grid import Grid


def test_registry_holds_the_five_builtins() -> None:
    assert set(STRATEGIES) == {"rebalancer", "grid", "dca", "trend", "mean_reversion"}
    assert all(spec.name and spec.description for spec in STRATEGIES.values())


def test_rebalancer_schema_is_camel_case_and_marks_updatable_fields() -> None:
    schema = config_schema("rebalancer")
    assert {"targets", "intervalSeconds", "driftThresholdPct"} <= set(schema["properties"])
    assert schema["properties"]["intervalSeconds"]["updatable"] is True
    assert schema["additionalProperties"] is False
    assert updatable_fields("rebalancer") == {"targets", "intervalSeconds", "driftThresholdPct"}


def test_grid_schema_requires_its_fields_and_nothing_is_updatable() -> None:
    assert set(config_schema("grid")["required"]) == {
        "symbol",
        "lower",
        "upper",
        "levels",
        "quantityPerLevel",
    }
    assert updatable_fields("grid") == frozenset()


def test_build_validates_the_config_and_returns_the_strategy() -> None:
    grid = build(
        "grid", {"symbol": "BTC/USDT", "lower": "90", "upper": "110", "levels": 5, "quantityPerLevel": "0.1"}
    )
    assert isinstance(grid, Grid)


@pytest.mark.parametrize(
    "strategy, config, message",
    [
        ("rebalancer", {"targets": {"BTC": "0.5", "USDT": "0.4"}}, "sum to 1"),
        ("rebalancer", {"targets": {"BTC": "0.5", "ETH": "0.5"}}, "quote asset"),
        ("rebalancer", {"targets": {"BTC": 0.5, "USDT": 0.5}}, "not floats"),
        ("rebalancer", {"targets": {"BTC": "1"}, "quote": "BTC", "colour": "red"}, "Extra inputs"),
        (
            "grid",
            {"symbol": "BTC/USDT", "lower": "110", "upper": "90", "levels": 5, "quantityPerLevel": "1"},
            "below upper",
        ),
        ("dca", {"symbol": "BTC/USDT", "orderQuote": "10"}, "intervalSeconds, priceDropPct"),
        ("trend", {"symbol": "BTC/USDT", "fastPeriod": 30, "slowPeriod": 10}, "below slowPeriod"),
        ("mean_reversion", {"symbol": "BTCUSDT"}, "pattern"),
    ],
)
def test_config_off_its_schema_is_refused(strategy: str, config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build(strategy, config)


def test_unknown_strategy_id_raises() -> None:
    with pytest.raises(UnknownStrategy):
        config_schema("martingale")
