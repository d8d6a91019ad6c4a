"""The async SQLAlchemy engine on psycopg 3, and the tables every service schema has (outbox, inbox)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import (
    BigInteger,
    Column,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .columns import created_at, json_object, timestamp, uuid
from .settings import ServiceSettings


def make_engine(settings: ServiceSettings, service: str | None = None) -> AsyncEngine:
    """`service` names the connections (`application_name`): pg_stat_activity and the statement log
    then say which service sent what."""
    return create_async_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        # No pre-ping: it costs a round trip per checkout on the hot path. A dropped connection fails
        # its transaction, and the message is redelivered.
        pool_recycle=1800,
        # Errors must not carry bound values into logs (a password hash, a sealed credential).
        hide_parameters=True,
        connect_args={"application_name": service[:63]} if service else {},
    )


def service_metadata(schema: str) -> MetaData:
    """A service's MetaData, with the outbox and processed-message tables in its own schema."""
    metadata = MetaData(schema=schema)
    Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("subject", String(300), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        json_object("headers"),
        created_at(),
        timestamp("published_at", nullable=True),
        Index(f"ix_{schema}_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )
    Table(
        "processed_messages",
        metadata,
        Column("consumer", String(100), primary_key=True),
        uuid("event_id", primary_key=True),
        timestamp("processed_at", now=True),
    )
    return metadata


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection outside any transaction (autocommit), for single-statement reads on the hot path:
    one round trip per query, where a transaction adds a BEGIN and a ROLLBACK."""
    async with engine.connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
