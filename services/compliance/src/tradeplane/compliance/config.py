"""The compliance service's settings (`TP_COMPLIANCE_*`)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field
from tradeplane.runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    http_port: int = Field(default=8107, ge=0, le=65535)

    compliance_reconcile_seconds: float = Field(default=3600.0, ge=0)
    """How often every account reconciled before is reconciled again (0: only on demand)."""
    compliance_reconcile_tolerance: Decimal = Field(default=Decimal("0.00000001"), ge=0)
    """A booked and a reported amount of one asset that differ by no more than this match."""
    compliance_reconcile_settle_seconds: float = Field(default=1.0, ge=0, le=3)
    """A mismatch is checked again after this long before it is raised (fills still on their way)."""
    compliance_wash_window_seconds: float = Field(default=60.0, gt=0)
    """Opposite orders of one user requested this close together count as crossing even when the
    first has already filled (a market order is gone before the next request arrives)."""
    compliance_cancel_burst: int = Field(default=20, ge=2, le=10_000)
    """Cancels of one user within `compliance_cancel_burst_seconds` that make a Pattern Violation."""
    compliance_cancel_burst_seconds: float = Field(default=60.0, gt=0)
    venue_timeout_seconds: float = Field(default=4.0, gt=0)
    """How long reconciliation waits for execution's answer about one account."""
