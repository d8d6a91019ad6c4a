"""Alembic environment of the compliance schema."""

from tradeplane.compliance.tables import metadata
from tradeplane.runtime.migrations import run_env

run_env(metadata)
