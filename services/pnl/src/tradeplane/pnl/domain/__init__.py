"""Pure PnL logic: FIFO lots, closed trades, equity curve and performance metrics (no I/O)."""
