"""Alembic environment of the execution schema."""

from tradeplane.execution.adapters.tables import metadata
from tradeplane.runtime.migrations import run_env

run_env(metadata)
