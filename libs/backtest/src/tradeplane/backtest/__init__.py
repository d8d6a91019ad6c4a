"""Backtests: a strategy from `tradeplane.strategies` replayed over candles with the paper venue's
matching (`tradeplane.paper`) and the pre-trade risk rules (`tradeplane.riskrules`), on a simulated
clock; seeded synthetic data and CSV import; metrics and a reproducible `resultHash`.

Pure and synchronous: no I/O but reading a CSV file, no wall clock, no floats in what it reports."""

from .data import Dataset, DatasetError, Period, Regime, open_dataset, parse_csv, synthetic
from .engine import ENGINE_VERSION, Backtest, run_backtest
from .replay import Recording, TickReplay, replay_ticks
from .report import BacktestResult
from .request import EXAMPLE, BacktestRequest, Intrabar

__all__ = [
    "ENGINE_VERSION",
    "EXAMPLE",
    "Backtest",
    "BacktestRequest",
    "BacktestResult",
    "Dataset",
    "DatasetError",
    "Intrabar",
    "Period",
    "Recording",
    "Regime",
    "TickReplay",
    "open_dataset",
    "parse_csv",
    "replay_ticks",
    "run_backtest",
    "synthetic",
]
