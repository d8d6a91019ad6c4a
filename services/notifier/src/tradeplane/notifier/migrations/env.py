"""Alembic environment of the notifier schema."""

from tradeplane.notifier.adapters.tables import metadata
from tradeplane.runtime.migrations import run_env

run_env(metadata)
