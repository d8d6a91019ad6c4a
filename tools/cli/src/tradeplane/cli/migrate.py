"""`tradeplane migrate`: apply each service's migrations in its own schema, one Python process each.

The CLI imports no service: it finds a service's `migrations/` folder through the import system and
lets a child interpreter run alembic on it (the folder's env.py imports the service's tables).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

MIGRATE_SCRIPT = (
    "import os, sys\n"
    "from tradeplane.runtime.migrations import upgrade\n"
    "upgrade(os.environ['TP_DATABASE_URL'], sys.argv[1])\n"
)
"""The database URL travels in the environment, never in argv (it may hold a password)."""


def migrations_dir(service: str) -> Path | None:
    """The installed service's alembic folder, found without importing the service."""
    spec = importlib.util.find_spec(f"tradeplane.{service}")
    if spec is None or spec.submodule_search_locations is None:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "migrations"
        if (folder / "env.py").is_file():
            return folder
    return None


def migrate_argv(folder: Path) -> list[str]:
    return [sys.executable, "-c", MIGRATE_SCRIPT, str(folder)]


def run_migrations(services: Sequence[str], env: Mapping[str, str], echo: Callable[[str], None]) -> int:
    """Migrate `services` in order; stop at the first failure and return its exit code."""
    for service in services:
        folder = migrations_dir(service)
        if folder is None:
            echo(f"{service}: not installed or has no migrations, skipped")
            continue
        echo(f"{service}: migrating")
        code = subprocess.run(migrate_argv(folder), env=dict(env), check=False).returncode
        if code != 0:
            echo(f"{service}: migration failed (exit code {code})")
            return code
        echo(f"{service}: up to date")
    return 0
