"""The PnL service's settings: consumer concurrency and the pacing of snapshots, updates and retries."""

from __future__ import annotations

from pydantic import Field
from tradeplane.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    """`TP_PNL_*` variables (plus the shared `TP_*` ones)."""

    http_port: int = Field(default=8102, ge=0, le=65535)

    pnl_fill_workers: int = Field(default=16, ge=1, le=256)
    """Fills booked at once; positions are locked row by row, so replicas and workers can overlap."""
    pnl_snapshot_seconds: float = Field(default=60.0, gt=0)
    """Equity snapshot timer for users with open positions (a fill also takes one)."""
    pnl_update_throttle_seconds: float = Field(default=5.0, gt=0)
    """At most one price-driven `PnlUpdated` per user this often."""
    pnl_mark_flush_seconds: float = Field(default=5.0, gt=0)
    """How often the latest marks are saved, so a restart values positions at once."""
    pnl_baseline_retry_seconds: float = Field(default=60.0, gt=0)
    """Retry asking execution for the balances of accounts whose baseline is still unknown."""
    pnl_account_refresh_seconds: float = Field(default=300.0, gt=0)
    """How long a user's account list, asked from execution, is trusted before asking again."""
    pnl_execution_timeout_seconds: float = Field(default=2.0, gt=0)
    pnl_leader_check_seconds: float = Field(default=5.0, gt=0)
    """How often a replica tries to become (or checks it still is) the one running the timers."""
