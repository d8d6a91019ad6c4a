"""`python -m tradeplane.cli` runs the operator CLI."""

from .main import app

app(prog_name="tradeplane")
