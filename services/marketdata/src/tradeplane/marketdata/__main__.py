"""`python -m tradeplane.marketdata` runs the market data service."""

from .app import main

main()
