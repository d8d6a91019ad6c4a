"""Auto-disable (seeds/000 §2): repeated account-breaking venue errors switch a user off."""

from __future__ import annotations

from dataclasses import replace

from tradeplane.contracts import VenueErrorCategory
from tradeplane.riskrules.state import RiskState
from tradeplane.riskrules.transitions import Disabled, Enabled

Result = tuple[RiskState, list[Disabled | Enabled]]

DEFAULT_THRESHOLD = 5


def on_venue_error(
    state: RiskState, category: VenueErrorCategory, threshold: int = DEFAULT_THRESHOLD
) -> Result:
    """Count the error; disable the user once `threshold` account-breaking errors came in a row.

    Only categories with `breaks_account` (auth, nonce, network) count toward the streak, mixed
    together; other errors (rate limits, rejected orders) neither count nor break it.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    totals = {**state.error_totals, category: state.error_totals.get(category, 0) + 1}
    streak = dict(state.consecutive_errors)
    if category.breaks_account:
        streak[category] = streak.get(category, 0) + 1
    counted = replace(state, error_totals=totals, consecutive_errors=streak)
    in_a_row = sum(streak.values())
    if state.disabled or in_a_row < threshold:
        return counted, []
    by_category = ", ".join(f"{name} {count}" for name, count in sorted(streak.items()))
    reason = f"{in_a_row} account errors in a row ({by_category}); check the exchange credentials"
    disabled = replace(counted, disabled=True, disabled_reason=reason)
    return disabled, [Disabled(reason, {str(name): count for name, count in streak.items()})]


def on_venue_success(state: RiskState) -> Result:
    """A venue call worked: the account is not broken, so the streak starts over."""
    if not state.consecutive_errors:
        return state, []
    return replace(state, consecutive_errors={}), []


def enable(state: RiskState) -> Result:
    """An admin re-enabled the user: clear the flag and the streak."""
    enabled = replace(state, disabled=False, disabled_reason=None, consecutive_errors={})
    if not state.disabled:
        return enabled, []
    return enabled, [Enabled()]
