"""Integration fixtures: real nats-server and PostgreSQL (own, on free ports, or TP_NATS_URL /
TP_DATABASE_URL when set) and `stack`, which runs the real service processes against them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from uuid import UUID, uuid4

import pytest
from tradeplane.cli.processes import EmbeddedServer

from tests.support.browser import chromium
from tests.support.databases import temporary_database
from tests.support.servers import Stack, start_nats, start_postgres

S = TypeVar("S", bound=EmbeddedServer)


def _given_or_started(variable: str, start: Callable[[], S], url_of: Callable[[S], str]) -> Iterator[str]:
    """The URL in the environment `variable` when set; else that of a server started now, stopped after."""
    if url := os.environ.get(variable):
        yield url
        return
    server = start()
    try:
        yield url_of(server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A NATS server with JetStream shared by the session."""
    yield from _given_or_started(
        "TP_NATS_URL", lambda: start_nats(tmp_path_factory.mktemp("nats")), lambda server: server.url
    )


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server to create test databases on (its `postgres` database, or TP_DATABASE_URL)."""
    yield from _given_or_started(
        "TP_DATABASE_URL", lambda: start_postgres(tmp_path_factory.mktemp("postgres")), lambda s: s.url()
    )


@pytest.fixture(scope="session")
def database_url(postgres_server_url: str) -> Iterator[str]:
    """A database shared by the session: TP_DATABASE_URL itself when set, else a new one."""
    if url := os.environ.get("TP_DATABASE_URL"):
        yield url
        return
    with temporary_database(postgres_server_url, "tp_session") as url:
        yield url


@pytest.fixture
def account() -> UUID:
    """A new venue account id."""
    return uuid4()


@pytest.fixture
def fresh_database_url(postgres_server_url: str) -> Iterator[str]:
    """A new, empty database for one test, dropped after it."""
    with temporary_database(postgres_server_url) as url:
        yield url


@pytest.fixture
def stack(postgres_server_url: str, tmp_path: Path) -> Iterator[Stack]:
    """Call `stack.start(services=[...], executors=1, env={...})`; everything stops after the test."""
    running = Stack(
        tmp_path / "stack",
        postgres_server_url=postgres_server_url,
        shared_nats_url=os.environ.get("TP_NATS_URL"),
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser() -> Iterator[object]:
    """A headless system Chromium (the test is skipped where Playwright is not installed)."""
    with chromium(pytest.importorskip("playwright.sync_api")) as launched:
        yield launched
