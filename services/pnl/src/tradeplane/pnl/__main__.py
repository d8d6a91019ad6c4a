"""Run the PnL service: `python -m tradeplane.pnl`."""

from .app import main

main()
