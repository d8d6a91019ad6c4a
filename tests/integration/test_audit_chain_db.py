"""The audit chains in real PostgreSQL: concurrent writers (two engines, as two replicas) never fork a
chain, a redelivered entry is stored once, a burst is appended in batches (group commit) as one chain,
and the table refuses casual edits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.cli.database import sqlalchemy_url
from tradeplane.contracts import AuditRecorded, new_meta
from tradeplane.gateway.adapters import audit_store
from tradeplane.gateway.app import MIGRATIONS
from tradeplane.gateway.audit_chain import Entry, Head, verify
from tradeplane.gateway.handlers import ChainWriter
from tradeplane.runtime import Failure, ServiceSettings, classify, make_engine

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


class Statements:
    """The statements an engine sends, by their first words."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.sent: list[str] = []
        sa.event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.sent.append(" ".join(statement.split()))

    def starting(self, prefix: str) -> int:
        return sum(1 for s in self.sent if s.startswith(prefix))


async def stored_chain(engine: AsyncEngine) -> tuple[list[Entry], dict[str, Head]]:
    async with engine.connect() as conn:
        return [entry async for entry in audit_store.chain_entries(conn)], await audit_store.heads(conn)


def test_a_burst_lands_as_one_chain_in_order_of_arrival_once_each(gateway_db: str) -> None:
    """35 events and 3 redeliveries arrive at once; batches of 10 append them: one entry each, in the
    order they arrived, the chain whole, each batch one statement writing it."""

    async def scenario() -> None:
        engine = make_engine(ServiceSettings(database_url=gateway_db, env="test"))
        statements = Statements(engine)
        writer = ChainWriter(lambda: engine, "gateway", limit=10)
        try:
            events = [event(i) for i in range(35)]
            arrivals = [*events[:6], events[2], *events[6:20], events[15], events[0], *events[20:]]
            results = await asyncio.gather(*(writer.append(e) for e in arrivals))
            late = await writer.append(events[7])  # redelivered after its batch committed
            entries, heads = await stored_chain(engine)
        finally:
            await engine.dispose()
        assert results.count(False) == 3
        assert [results[i] for i in (6, 21, 22)] == [False, False, False]  # the redeliveries
        assert late is False
        assert [e.event_id for e in entries] == [e.meta.event_id for e in events]
        assert [e.seq for e in entries] == list(range(1, 36))
        assert heads["gateway"].seq == 35
        assert verify(entries, heads) == []
        assert statements.starting("WITH appended AS (INSERT INTO gateway.audit_log") == 4  # 38 arrivals / 10

    run_async(scenario)


def test_an_event_the_database_refuses_fails_alone(gateway_db: str) -> None:
    """A message PostgreSQL cannot store (a NUL character in its details) fails, so it is redelivered
    and then dead-lettered; the others of its batch are stored and the chain stays whole."""

    async def scenario() -> None:
        engine = make_engine(ServiceSettings(database_url=gateway_db, env="test"))
        writer = ChainWriter(lambda: engine, "gateway", limit=10)
        try:
            events = [event(i) for i in range(5)]
            poison = AuditRecorded(meta=new_meta("gateway"), actor="x", action="a", details={"t": "\x00"})
            results = await asyncio.gather(
                *(writer.append(e) for e in [*events[:2], poison, *events[2:]]), return_exceptions=True
            )
            entries, heads = await stored_chain(engine)
        finally:
            await engine.dispose()
        assert isinstance(results[2], sa.exc.DBAPIError)
        assert classify(results[2]) is not Failure.TRANSIENT
        assert [r for i, r in enumerate(results) if i != 2] == [True] * 5
        assert [e.event_id for e in entries] == [e.meta.event_id for e in events]
        assert verify(entries, heads) == []

    run_async(scenario)


def test_a_batch_fails_every_message_while_the_database_is_down(gateway_db: str) -> None:
    """Each message of a batch that could not be committed fails (JetStream redelivers it); once the
    database is back the redeliveries are stored, once each."""

    async def scenario() -> None:
        engine = make_engine(ServiceSettings(database_url=gateway_db, env="test"))
        down = True

        def connect() -> AsyncEngine:
            if down:
                raise ConnectionRefusedError("database down")
            return engine

        writer = ChainWriter(connect, "gateway", limit=10)
        try:
            events = [event(i) for i in range(12)]
            failed = await asyncio.gather(*(writer.append(e) for e in events), return_exceptions=True)
            down = False
            again = await asyncio.gather(*(writer.append(e) for e in events))
            entries, heads = await stored_chain(engine)
        finally:
            await engine.dispose()
        assert all(isinstance(f, ConnectionRefusedError) for f in failed)
        assert again == [True] * 12
        assert [e.event_id for e in entries] == [e.meta.event_id for e in events]
        assert verify(entries, heads) == []

    run_async(scenario)
