"""The risk service's settings: auto-disable threshold, fallback equity and its periodic tasks."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from tradeplane.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    """`TP_*` variables of a risk replica."""

    http_port: int = Field(default=8101, ge=0, le=65535)

    risk_disable_after_errors: int = Field(default=5, ge=1, le=1000)
    """Account-breaking venue errors in a row (auth, nonce, network) that disable a user."""
    risk_default_equity: Decimal = Field(default=Decimal(10_000), gt=0)
    """Equity assumed for position caps when neither PnL events nor the pnl service know it."""
    risk_equity_timeout_seconds: float = Field(default=0.25, gt=0)
    """How long an order may wait for the pnl service's answer about an unknown equity."""
    risk_sweep_seconds: float = Field(default=30.0, gt=0)
    """How often halts that reached their end are lifted (and announced) without waiting for an order."""
    risk_heartbeat_seconds: float = Field(default=1.0, gt=0)
    """Heartbeat period; executors halt themselves when heartbeats stop."""
    risk_order_workers: int = Field(default=64, ge=1, le=1024)
    """Order requests decided at once (different users proceed in parallel)."""
