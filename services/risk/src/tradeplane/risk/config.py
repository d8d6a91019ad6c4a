"""The risk service's settings: auto-disable threshold, fallback equity, ceilings and periodic tasks."""

from __future__ import annotations

from decimal import Decimal
from typing import Self

from pydantic import BaseModel, Field, model_validator
from tradeplane.riskrules import RiskLimits
from tradeplane.runtime.settings import ServiceSettings


class Ceilings(BaseModel):
    """The platform ceilings until an admin sets them (`TP_RISK_CEILINGS__MAX_ORDERS_PER_MINUTE=1200`).

    Loose enough for what users legitimately do (a rebalancer holding 50% in BTC needs a 60% position
    cap); an admin may still give one user more.
    """

    max_position_pct: Decimal = Decimal(100)
    max_order_notional: Decimal = Decimal(1_000_000)
    max_daily_loss_usd: Decimal = Decimal(100_000)
    max_daily_loss_pct: Decimal = Decimal(50)
    max_weekly_loss_usd: Decimal = Decimal(250_000)
    max_drawdown_pct: Decimal = Decimal(75)
    max_daily_trades: int = 5_000
    circuit_breaker_daily_loss_pct: Decimal = Decimal(50)
    max_orders_per_minute: int = 600

    @model_validator(mode="after")
    def _valid_limits(self) -> Self:
        self.limits()
        return self

    def limits(self) -> RiskLimits:
        """The ceilings as limits: in range and consistent like any user's."""
        return RiskLimits.model_validate(self.model_dump(mode="json"))


class Settings(ServiceSettings):
    """`TP_*` variables of a risk replica."""

    http_port: int = Field(default=8101, ge=0, le=65535)

    risk_disable_after_errors: int = Field(default=5, ge=1, le=1000)
    """Account-breaking venue errors in a row (auth, nonce, network) that disable a user."""
    risk_default_equity: Decimal = Field(default=Decimal(10_000), gt=0)
    """Equity assumed for position caps when neither PnL events nor the pnl service know it."""
    risk_ceilings: Ceilings = Ceilings()
    """The loosest limits traders may set themselves, until an admin stores others."""
    risk_equity_timeout_seconds: float = Field(default=2.0, gt=0)
    """How long a user's first order may wait for the pnl service's answer about their equity (its
    first answer reads the balances from execution, which takes longer than 0.25 s on a busy host)."""
    risk_sweep_seconds: float = Field(default=30.0, gt=0)
    """How often halts that reached their end are lifted (and announced) without waiting for an order."""
    risk_heartbeat_seconds: float = Field(default=1.0, gt=0)
    """Heartbeat period; executors halt themselves when heartbeats stop."""
    risk_order_workers: int = Field(default=64, ge=1, le=1024)
    """Order requests decided at once (different users proceed in parallel)."""
