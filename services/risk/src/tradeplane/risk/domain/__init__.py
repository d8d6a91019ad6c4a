"""Pure risk logic (no I/O): limits, per-user state and its transitions, and pre-trade checks."""

from .auto_disable import DEFAULT_THRESHOLD, enable, on_venue_error, on_venue_success
from .caps import Breach, breaches
from .checks import Approved, Decision, ProposedOrder, Rejected, check_order, record_order
from .lifecycle import Fill, on_fill, on_pnl, release, roll_day
from .limits import RiskLimits, TradingHours
from .periods import user_zone
from .state import RiskState
from .transitions import Disabled, Enabled, StateChanged, Transition, TransitionCode

__all__ = [
    "DEFAULT_THRESHOLD",
    "Approved",
    "Breach",
    "Decision",
    "Disabled",
    "Enabled",
    "Fill",
    "ProposedOrder",
    "Rejected",
    "RiskLimits",
    "RiskState",
    "StateChanged",
    "TradingHours",
    "Transition",
    "TransitionCode",
    "breaches",
    "check_order",
    "enable",
    "on_fill",
    "on_pnl",
    "on_venue_error",
    "on_venue_success",
    "record_order",
    "release",
    "roll_day",
    "user_zone",
]
