"""Database URLs and creating/dropping databases on a PostgreSQL server."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

SQLALCHEMY_SCHEME = "postgresql+psycopg"


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def libpq_url(url: str) -> str:
    """The URL without a SQLAlchemy driver suffix, as psycopg and libpq expect it."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


def sqlalchemy_url(url: str) -> str:
    """The URL with the psycopg 3 driver the services use."""
    return f"{SQLALCHEMY_SCHEME}://{url.partition('://')[2]}"


def can_connect(url: str) -> bool:
    try:
        with psycopg.connect(libpq_url(url), connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` unless it exists; return its URL. `server_url` may name any database."""
    admin = with_database(server_url, "postgres")
    with psycopg.connect(libpq_url(admin), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    """Drop database `name`, disconnecting whoever is still connected to it."""
    admin = with_database(server_url, "postgres")
    with psycopg.connect(libpq_url(admin), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
