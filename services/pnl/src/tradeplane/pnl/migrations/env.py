"""Alembic environment of the pnl schema."""

from tradeplane.pnl.adapters.tables import metadata
from tradeplane.runtime.migrations import run_env

run_env(metadata)
