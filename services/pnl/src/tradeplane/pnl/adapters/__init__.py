"""Storage and the other services, as the PnL service reaches them."""
