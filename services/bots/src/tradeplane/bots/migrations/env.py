"""Alembic environment of the bots schema."""

from tradeplane.bots.adapters.tables import metadata
from tradeplane.runtime.migrations import run_env

run_env(metadata)
