"""`python -m tradeplane.backtests` runs the backtests worker service."""

from .app import main

main()
