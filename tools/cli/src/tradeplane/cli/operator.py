"""Where one-shot operator commands find NATS, PostgreSQL and the development secrets.

Each setting comes from the environment first, then from a secret file (Kubernetes mounts them in
/run/secrets/tradeplane, or TP_SECRETS_DIR), then from the embedded stack's defaults, so the same
command works on a laptop next to `tradeplane up` and inside a pod.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tradeplane.contracts.permissions import OPERATOR

from . import devsecrets
from .database import sqlalchemy_url
from .settings import StackSettings

DEFAULT_SECRETS_DIR = "/run/secrets/tradeplane"


def secret_file(name: str, environ: Mapping[str, str]) -> str | None:
    path = Path(environ.get("TP_SECRETS_DIR", DEFAULT_SECRETS_DIR)) / name
    return path.read_text().strip() if path.is_file() else None


def nats_url(settings: StackSettings, environ: Mapping[str, str]) -> str:
    return (
        settings.nats_url or secret_file("TP_NATS_URL", environ) or f"nats://127.0.0.1:{settings.nats_port}"
    )


def database_url(settings: StackSettings, environ: Mapping[str, str]) -> str:
    """The URL with the psycopg 3 driver, as the services and alembic expect it."""
    url = (
        settings.database_url
        or secret_file("TP_DATABASE_URL", environ)
        or f"postgresql://postgres@127.0.0.1:{settings.postgres_port}/{settings.database_name}"
    )
    return sqlalchemy_url(url)


def nats_credentials(settings: StackSettings, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The operator's NATS user and password: TP_NATS_USER/TP_NATS_PASSWORD when set (environment or
    secret files), else the `operator` user of the embedded stack's secrets."""
    user = environ.get("TP_NATS_USER") or secret_file("TP_NATS_USER", environ)
    password = environ.get("TP_NATS_PASSWORD") or secret_file("TP_NATS_PASSWORD", environ)
    if user and password:
        return user, password
    name = devsecrets.nats_password_name(OPERATOR)
    stored = devsecrets.read(settings.data_path / "secrets.env")
    password = environ.get(name) or secret_file(name, environ) or stored.get(name)
    return (OPERATOR, password) if password else None


def operator_env(settings: StackSettings, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a delegated service command: ours, plus development secrets we lack."""
    environ = os.environ if environ is None else environ
    stored = devsecrets.read(settings.data_path / "secrets.env")
    env = {**stored, **environ}
    env["TP_NATS_URL"] = nats_url(settings, environ)
    env["TP_DATABASE_URL"] = database_url(settings, environ)
    if credentials := nats_credentials(settings, environ):
        env["TP_NATS_USER"], env["TP_NATS_PASSWORD"] = credentials
    return env
