"""`python -m tradeplane.notifier` runs the notifier service."""

from .app import main

main()
