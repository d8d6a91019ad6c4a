"""Database URL helpers."""

from __future__ import annotations

from tradeplane.cli.database import libpq_url, sqlalchemy_url, with_database


def test_with_database_replaces_only_the_database() -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:15432/tradeplane?sslmode=disable"

    assert (
        with_database(url, "other") == "postgresql+psycopg://postgres@127.0.0.1:15432/other?sslmode=disable"
    )


def test_libpq_url_drops_the_driver() -> None:
    assert libpq_url("postgresql+psycopg://u@h:1/d") == "postgresql://u@h:1/d"


def test_sqlalchemy_url_names_psycopg_whatever_the_scheme() -> None:
    assert sqlalchemy_url("postgres://u@h:1/d") == "postgresql+psycopg://u@h:1/d"
