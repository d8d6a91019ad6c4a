"""Pre-trade risk checks, per-user caps, trading states and the kill switch."""
