"""Risk's answers as JSON objects (docs/api.md shapes): a user's risk state and a kill switch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tradeplane.contracts import HaltEngaged, utcnow
from tradeplane.riskrules.lifecycle import roll_day
from tradeplane.riskrules.state import RiskState

from .profiles import Profile


def risk_state(state: RiskState, profile: Profile) -> dict[str, Any]:
    """The state as of now in the user's timezone (a new day shows zero trades before any event)."""
    current, _ = roll_day(state, utcnow(), profile.zone)
    equity = None if current.equity is None else format(current.equity, "f")
    return {**current.public_view(), "equity": equity}


def halt(engaged: HaltEngaged | None, show: Callable[[str], str]) -> dict[str, Any]:
    """A kill switch's status; `show` says how the caller may see who engaged it."""
    if engaged is None:
        return {"active": False, "reason": None, "since": None, "actor": None}
    return {
        "active": True,
        "reason": engaged.reason,
        "since": engaged.meta.occurred_at.isoformat(),
        "actor": show(engaged.actor),
    }
