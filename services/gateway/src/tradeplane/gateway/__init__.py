"""Public REST API: users, auth, orders, venues, risk settings, kill switch, PnL, webhooks."""
