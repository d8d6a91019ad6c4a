"""Throwaway databases for tests that need PostgreSQL but no service process: created (and migrated)
for a module or a test, dropped after it, reached through an engine that is disposed of."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from tradeplane.cli.database import sqlalchemy_url
from tradeplane.execution.adapters.nonces import nonce_table
from tradeplane.runtime.migrations import upgrade

from .servers import create_database, remove_database


@contextmanager
def temporary_database(server_url: str, prefix: str = "tp", migrations: Path | None = None) -> Iterator[str]:
    """A new database on the server `server_url` points at, with a service's `migrations` applied when
    given; its URL. Dropped afterwards."""
    url = create_database(server_url, prefix)
    try:
        if migrations is not None:
            upgrade(sqlalchemy_url(url), migrations)
        yield url
    finally:
        remove_database(server_url, url)


@asynccontextmanager
async def engine_for(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the database `url` with the services' driver, disposed of afterwards."""
    engine = create_async_engine(sqlalchemy_url(url))
    try:
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def database_engine(
    server_url: str, prefix: str, migrations: Path | None = None
) -> AsyncIterator[AsyncEngine]:
    """An engine on a `temporary_database`; both gone afterwards."""
    with temporary_database(server_url, prefix, migrations) as url:
        async with engine_for(url) as engine:
            yield engine


@asynccontextmanager
async def nonce_engine(server_url: str, prefix: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a temporary database holding execution's nonce table alone: for tests of the nonce
    store without the rest of the schema."""
    async with database_engine(server_url, prefix) as engine:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE SCHEMA IF NOT EXISTS execution"))
            await conn.run_sync(lambda sync: nonce_table().create(sync, checkfirst=True))
        yield engine
