"""Pure pre-trade risk rules (no I/O): limits, a user's risk state and its transitions, the caps and
the pre-trade checks. The risk service runs them on every order; backtests run the same code.

Decimal arithmetic runs in the default context; the same inputs give the same decisions everywhere."""

from .caps import Breach, breaches
from .checks import Approved, Decision, ProposedOrder, Rejected, check_order, record_order
from .lifecycle import Fill, on_fill, on_pnl, release, roll_day
from .limits import RiskLimits, TradingHours
from .periods import user_zone
from .state import RiskState
from .transitions import Disabled, Enabled, StateChanged, Transition, TransitionCode

__all__ = [
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
    "on_fill",
    "on_pnl",
    "record_order",
    "release",
    "roll_day",
    "user_zone",
]
