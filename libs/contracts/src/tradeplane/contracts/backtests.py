"""Backtest job events (`tp.backtest.progress.<user>`, `tp.backtest.done.<user>`), published by the
backtests service through its outbox: a client can follow a job without polling."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import Field

from .base import Message


class BacktestStatus(StrEnum):
    QUEUED = "Queued"
    RUNNING = "Running"
    DONE = "Done"
    FAILED = "Failed"
    CANCELLED = "Cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({BacktestStatus.DONE, BacktestStatus.FAILED, BacktestStatus.CANCELLED})


class BacktestProgress(Message):
    """A job started or moved on: `progress` is the share of the candles replayed (0..1)."""

    backtest_id: UUID
    user_id: UUID
    status: BacktestStatus
    progress: float = Field(ge=0, le=1)


class BacktestDone(Message):
    """A job ended: Done (with its hashes), Failed (with the error) or Cancelled."""

    backtest_id: UUID
    user_id: UUID
    status: BacktestStatus
    error: str | None = Field(default=None, max_length=2000)
    result_hash: str | None = Field(default=None, max_length=64)
    dataset_hash: str | None = Field(default=None, max_length=64)
