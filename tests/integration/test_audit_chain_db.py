"""The audit chains in real PostgreSQL: concurrent writers (two engines, as two replicas) never fork a
chain, a redelivered entry is stored once, and the table refuses casual edits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.cli.database import sqlalchemy_url
from tradeplane.contracts import AuditRecorded, new_meta
from tradeplane.gateway.adapters import audit_store
from tradeplane.gateway.app import MIGRATIONS
from tradeplane.gateway.audit_chain import verify
from tradeplane.runtime import ServiceSettings, make_engine

from tests.support.databases import temporary_database
from tests.support.servers import run_async

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def gateway_db(postgres_server_url: str) -> Iterator[str]:
    with temporary_database(postgres_server_url, "tp_audit", MIGRATIONS) as url:
        yield url


def event(i: int, producer: str = "gateway") -> AuditRecorded:
    return AuditRecorded(
        meta=new_meta(producer),
        actor=f"user-{i}",
        action="http.request",
        target="/api/orders",
        details={"n": i, "price": "65000.10", "nested": {"b": [1, 2], "a": None}, "text": "Ünïcode ✓"},
    )


async def append(engine: AsyncEngine, chain: str, message: AuditRecorded) -> bool:
    async with engine.begin() as conn:
        return await audit_store.append(conn, chain, message)


def test_concurrent_writers_keep_every_chain_whole(gateway_db: str) -> None:
    async def scenario() -> None:
        settings = ServiceSettings(database_url=gateway_db, env="test")
        replicas = [make_engine(settings), make_engine(settings)]
        try:
            events = [(("gateway", "risk")[i % 2], event(i)) for i in range(120)]
            stored = await asyncio.gather(
                *(append(replicas[i % 2], chain, e) for i, (chain, e) in enumerate(events))
            )
            assert all(stored)
            again = await append(replicas[0], "gateway", events[0][1])  # a redelivery
            assert again is False
            async with replicas[0].connect() as conn:
                entries = [entry async for entry in audit_store.chain_entries(conn)]
                heads = await audit_store.heads(conn)
        finally:
            for engine in replicas:
                await engine.dispose()
        assert verify(entries, heads) == []
        for chain in ("gateway", "risk"):
            seqs = [e.seq for e in entries if e.chain == chain]
            assert seqs == list(range(1, 61))
            assert heads[chain].seq == 60

    run_async(scenario)


def test_the_table_refuses_update_delete_and_truncate(gateway_db: str) -> None:
    async def one() -> None:
        engine = make_engine(ServiceSettings(database_url=gateway_db, env="test"))
        try:
            await append(engine, "gateway", event(1))
        finally:
            await engine.dispose()

    run_async(one)
    engine = sa.create_engine(sqlalchemy_url(gateway_db))
    try:
        for statement in (
            "UPDATE gateway.audit_log SET actor = 'x'",
            "DELETE FROM gateway.audit_log",
            "TRUNCATE gateway.audit_log",
            "UPDATE gateway.audit_heads SET seq = 0",
            "DELETE FROM gateway.audit_heads",
        ):
            with engine.begin() as conn, pytest.raises(sa.exc.DBAPIError, match=r"append-only|moves forward"):
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()
