"""The backtests service's settings (`TP_BACKTESTS_*`)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from tradeplane.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    http_port: int = Field(default=8106, ge=0, le=65535)

    backtests_max_workers: int = Field(default=1, ge=1, le=64)
    """Backtests this replica runs at once, each in its own child process."""
    backtests_per_user: int = Field(default=2, ge=1, le=100)
    """Queued-or-running jobs a user may have; one more is refused with 429 BACKTEST_LIMIT."""
    backtests_lease_seconds: float = Field(default=30.0, gt=0)
    """A running job whose worker has not reported for this long goes back to the queue."""
    backtests_progress_seconds: float = Field(default=1.0, gt=0)
    """How often a running job's progress is stored and published (and a cancel noticed)."""
    backtests_poll_seconds: float = Field(default=2.0, gt=0)
    """How often a worker looks for queued jobs (a job created on this replica wakes it at once)."""
    backtests_max_attempts: int = Field(default=3, ge=1, le=20)
    """Runs of one job whose worker died; the next one fails it instead of running it again."""

    @model_validator(mode="after")
    def _lease_outlasts_reports(self) -> Self:
        if self.backtests_lease_seconds <= 2 * self.backtests_progress_seconds:
            raise ValueError(
                "TP_BACKTESTS_LEASE_SECONDS must be more than twice TP_BACKTESTS_PROGRESS_SECONDS"
            )
        return self
