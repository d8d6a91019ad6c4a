"""Alembic environment of the gateway schema."""

from tradeplane.gateway.adapters.tables import metadata
from tradeplane.runtime.migrations import run_env

run_env(metadata)
