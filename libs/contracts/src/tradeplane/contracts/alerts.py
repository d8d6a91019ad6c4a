"""Alerts (`tp.risk.alert.<user>`, `tp.risk.alert.platform`), raised by the compliance service through its
outbox: the seeds/004 Alert model, on the bus for the dashboard's `alerts` channel and the notifier.

The subject sits under `tp.risk.` beside `tp.risk.state.<user>` (stream `TP_RISK`), so one ordered consumer
filtered to `tp.risk.*.<user>` carries both to a user's `alerts` channel."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import Field

from .base import Message


class AlertType(StrEnum):
    ERROR = "Error"
    WARNING = "Warning"
    INFO = "Info"
    SUCCESS = "Success"


class AlertCategory(StrEnum):
    SYSTEM = "System"
    TRADING = "Trading"
    COMPLIANCE = "Compliance"
    SECURITY = "Security"


class AlertSeverity(StrEnum):
    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"

    @property
    def rank(self) -> int:
        """Critical 4 … Low 1: `rank >= minimum.rank` reads "at least as severe"."""
        return _RANKS[self]


_RANKS = {AlertSeverity.CRITICAL: 4, AlertSeverity.HIGH: 3, AlertSeverity.MEDIUM: 2, AlertSeverity.LOW: 1}


class ViolationType(StrEnum):
    POSITION_LIMIT = "Position Limit"
    RISK_LIMIT = "Risk Limit"
    PATTERN_VIOLATION = "Pattern Violation"
    REGULATORY = "Regulatory"


class ViolationStatus(StrEnum):
    OPEN = "Open"
    ACKNOWLEDGED = "Acknowledged"
    RESOLVED = "Resolved"


class AlertRaised(Message):
    """An alert for one user (or, with no user, for the platform's admins)."""

    alert_id: UUID
    user_id: UUID | None = None
    type: AlertType
    category: AlertCategory
    severity: AlertSeverity
    title: str = Field(min_length=1, max_length=200)
    message: str = Field(max_length=2000)
    venue: str | None = Field(default=None, max_length=64)
    bot_id: UUID | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    webhook: bool = False
    """The user's notification settings send this alert to their webhooks (the notifier's `alert` event)."""
