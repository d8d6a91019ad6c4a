"""`python -m tradeplane.compliance` runs the compliance service."""

from .app import main

main()
