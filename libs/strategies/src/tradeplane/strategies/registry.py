"""The built-in strategies by id: class, config model and the text `GET /api/strategies` shows."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .builtin.dca import Dca, DcaConfig
from .builtin.grid import Grid, GridConfig
from .builtin.mean_reversion import MeanReversion, MeanReversionConfig
from .builtin.rebalancer import Rebalancer, RebalancerConfig
from .builtin.trend import Trend, TrendConfig
from .strategy import Strategy, StrategyConfig


class StrategyType(StrEnum):
    REBALANCING = "Rebalancing"
    GRID = "Grid"
    DCA = "DCA"
    TREND = "Trend"
    MEAN_REVERSION = "MeanReversion"


@dataclass(frozen=True, slots=True)
class StrategySpec:
    id: str
    name: str
    type: StrategyType
    description: str
    strategy: builtins.type[Strategy[Any]]
    config: builtins.type[StrategyConfig]
    version: str = "1"
    """Bumped when a change makes the strategy decide differently (backtests record it)."""


class UnknownStrategy(KeyError):
    """No built-in strategy has this id."""


_SPECS = (
    StrategySpec(
        "rebalancer",
        "Portfolio rebalancer",
        StrategyType.REBALANCING,
        "Keeps target weights of the bot's allocation; sells before buys when a weight drifts "
        "past the threshold.",
        Rebalancer,
        RebalancerConfig,
    ),
    StrategySpec(
        "grid",
        "Grid",
        StrategyType.GRID,
        "Limit buys below and sells above the price across fixed levels; a filled level is "
        "replaced one level away.",
        Grid,
        GridConfig,
    ),
    StrategySpec(
        "dca",
        "Dollar-cost averaging",
        StrategyType.DCA,
        "A ladder of buys at intervals or price drops, closed at a take-profit or stop-loss on "
        "the average entry.",
        Dca,
        DcaConfig,
    ),
    StrategySpec(
        "trend",
        "EMA trend",
        StrategyType.TREND,
        "Buys on a golden cross of a fast over a slow EMA, sells on a death cross.",
        Trend,
        TrendConfig,
    ),
    StrategySpec(
        "mean_reversion",
        "Bollinger mean reversion",
        StrategyType.MEAN_REVERSION,
        "Buys a close below the lower Bollinger band, sells a close above the middle (or upper) band.",
        MeanReversion,
        MeanReversionConfig,
    ),
)

STRATEGIES: Mapping[str, StrategySpec] = MappingProxyType({spec.id: spec for spec in _SPECS})


def spec(strategy_id: str) -> StrategySpec:
    try:
        return STRATEGIES[strategy_id]
    except KeyError:
        raise UnknownStrategy(strategy_id) from None


def config_schema(strategy_id: str) -> dict[str, Any]:
    """The JSON Schema of the strategy's config (camelCase), served as `configSchema`."""
    return spec(strategy_id).config.model_json_schema(by_alias=True)


def updatable_fields(strategy_id: str) -> frozenset[str]:
    """The config fields (camelCase) a running bot may change; others need the bot stopped."""
    fields = spec(strategy_id).config.model_fields
    return frozenset(
        f.alias or name
        for name, f in fields.items()
        if isinstance(f.json_schema_extra, dict) and f.json_schema_extra.get("updatable") is True
    )


def build(strategy_id: str, config: Mapping[str, Any] | StrategyConfig) -> Strategy[Any]:
    """A fresh strategy from its id and config (validated here: raises pydantic's ValidationError)."""
    found = spec(strategy_id)
    model = config if isinstance(config, found.config) else found.config.model_validate(config)
    return found.strategy(model)
