"""Alembic environment of the risk schema."""

from tradeplane.risk.adapters.tables import metadata
from tradeplane.runtime.migrations import run_env

run_env(metadata)
