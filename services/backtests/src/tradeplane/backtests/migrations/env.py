"""Alembic environment of the backtests schema."""

from tradeplane.backtests.tables import metadata
from tradeplane.runtime.migrations import run_env

run_env(metadata)
