"""What the domain reports when a user's trading state or enablement changes; the service publishes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tradeplane.contracts import TradingState


class TransitionCode(StrEnum):
    """Why a trading state changed; the cap codes equal their `RejectCode` values."""

    DAILY_LOSS = "DAILY_LOSS"
    WEEKLY_LOSS = "WEEKLY_LOSS"
    CIRCUIT_BREAKER = "CIRCUIT_BREAKER"
    MAX_DRAWDOWN = "MAX_DRAWDOWN"
    HALT_EXPIRED = "HALT_EXPIRED"
    RELEASED = "RELEASED"


@dataclass(frozen=True)
class StateChanged:
    """Active / Reducing / Halted moved (becomes `RiskStateChanged` plus an audit record).

    `previous == current == Halted` means an existing halt was extended for a longer-lived reason.
    """

    previous: TradingState
    current: TradingState
    code: TransitionCode
    reason: str
    until: datetime | None = None


@dataclass(frozen=True)
class Disabled:
    """Repeated account-breaking venue errors disabled the user (becomes `UserDisabled`)."""

    reason: str
    error_counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Enabled:
    """A disabled user was enabled again (becomes `UserEnabled`)."""

    reason: str = "re-enabled"


Transition = StateChanged | Disabled | Enabled
