"""Strategies for Tradeplane's bots and backtests: the SDK (pure, synchronous, deterministic) and the
built-ins."""

from .candles import Candle, Timeframe
from .context import OpenOrder, StrategyContext
from .driver import RunOutput, StrategyDriver
from .indicators import Bollinger, Ema
from .intents import Action, Cancel, Fill, Intent, LogEntry, LogLevel, Market, RunKey, intent_id
from .offline import OfflineResult, run_offline
from .registry import (
    STRATEGIES,
    StrategySpec,
    StrategyType,
    UnknownStrategy,
    build,
    config_schema,
    updatable_fields,
)
from .strategy import UPDATABLE, Strategy, StrategyConfig, updatable

__all__ = [
    "STRATEGIES",
    "UPDATABLE",
    "Action",
    "Bollinger",
    "Cancel",
    "Candle",
    "Ema",
    "Fill",
    "Intent",
    "LogEntry",
    "LogLevel",
    "Market",
    "OfflineResult",
    "OpenOrder",
    "RunKey",
    "RunOutput",
    "Strategy",
    "StrategyConfig",
    "StrategyContext",
    "StrategyDriver",
    "StrategySpec",
    "StrategyType",
    "Timeframe",
    "UnknownStrategy",
    "build",
    "config_schema",
    "intent_id",
    "run_offline",
    "updatable",
    "updatable_fields",
]
