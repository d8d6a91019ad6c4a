"""Backtest jobs behind the REST API: a worker service away from the live bots ' event loop."""
