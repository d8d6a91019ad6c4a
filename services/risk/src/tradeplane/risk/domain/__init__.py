"""Risk logic of the service itself (no I/O): auto-disable on venue errors and the platform ceilings.

The pure rules every order is checked against (limits, state, caps, pre-trade checks) live in
`tradeplane.riskrules`, shared with backtests."""

from .auto_disable import DEFAULT_THRESHOLD, enable, on_venue_error, on_venue_success

__all__ = ["DEFAULT_THRESHOLD", "enable", "on_venue_error", "on_venue_success"]
