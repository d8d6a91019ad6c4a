"""Alembic environment of the marketdata schema."""

from tradeplane.marketdata.adapters.tables import metadata
from tradeplane.runtime.migrations import run_env

run_env(metadata)
