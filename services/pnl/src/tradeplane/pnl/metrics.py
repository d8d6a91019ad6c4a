"""Prometheus metrics of the PnL service (served on /metrics)."""

from prometheus_client import Counter

FILLS_BOOKED = Counter("tp_pnl_fills_booked", "Fills booked into positions")
FILLS_DUPLICATE = Counter("tp_pnl_fills_duplicate", "Fills seen again and ignored (already booked)")
TRADES_CLOSED = Counter("tp_pnl_trades_closed", "Round trips closed (position back to flat)")
PNL_UPDATES = Counter("tp_pnl_price_updates", "PnlUpdated events published because prices moved")
