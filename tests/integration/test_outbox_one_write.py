"""`Outbox.statement()` on a real PostgreSQL: one autocommitted write whose events are stored only when
the write changed a row, published right after it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Column, MetaData, String, Table, Uuid, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.dml import ReturningInsert
from tradeplane.contracts import AuditRecorded, new_meta
from tradeplane.runtime import Outbox, service_metadata

from tests.support.databases import engine_for

pytestmark = pytest.mark.integration

SCHEMA = "onewrite"
metadata: MetaData = service_metadata(SCHEMA)
things = Table(
    "things",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("key", String(50), nullable=False, unique=True),
)

Published = list[tuple[str, bytes, dict[str, str]]]


class Setup:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.published: Published = []
        self.outbox = Outbox(engine, metadata, self._publish)

    async def _publish(self, subject: str, payload: bytes, headers: dict[str, str]) -> None:
        self.published.append((subject, payload, headers))

    async def outbox_ids(self) -> list[UUID]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(select(self.outbox.table.c.event_id))).scalars())

    async def thing_count(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(things))).scalar_one())


@pytest.fixture
async def setup(fresh_database_url: str) -> AsyncIterator[Setup]:
    async with engine_for(fresh_database_url) as engine:
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
            await conn.run_sync(metadata.create_all)
        yield Setup(engine)


def event(action: str) -> AuditRecorded:
    return AuditRecorded(meta=new_meta("probe"), action=action, actor="probe")


def insert_thing(key: str) -> ReturningInsert[Any]:
    return (
        pg_insert(things)
        .values(id=uuid4(), key=key)
        .on_conflict_do_nothing(index_elements=[things.c.key])
        .returning(things.c.id, things.c.key)
    )


async def test_a_new_row_is_stored_with_its_events_and_they_are_published(setup: Setup) -> None:
    first, second = event("a"), event("b")
    async with setup.outbox.statement() as one:
        one.emit("tp.probe.a", first)
        one.emit("tp.probe.b", second, {"x": "1"})
        rows = await one.execute(insert_thing("k1"))

    assert [r.key for r in rows] == ["k1"]
    assert await setup.thing_count() == 1
    assert sorted(await setup.outbox_ids()) == sorted([first.meta.event_id, second.meta.event_id])
    assert [(s, h["Nats-Msg-Id"]) for s, _, h in setup.published] == [
        ("tp.probe.a", str(first.meta.event_id)),
        ("tp.probe.b", str(second.meta.event_id)),
    ]
    assert setup.published[1][2]["x"] == "1"
    assert AuditRecorded.model_validate_json(setup.published[0][1]) == first


async def test_a_conflicting_insert_stores_and_publishes_no_event(setup: Setup) -> None:
    async with setup.outbox.statement() as one:
        one.emit("tp.probe.a", event("a"))
        await one.execute(insert_thing("same"))
    before = await setup.outbox_ids()
    setup.published.clear()

    async with setup.outbox.statement() as one:
        one.emit("tp.probe.a", event("again"))
        rows = await one.execute(insert_thing("same"))

    assert rows == []
    assert await setup.thing_count() == 1
    assert await setup.outbox_ids() == before
    assert setup.published == []


async def test_the_write_is_committed_on_its_own(setup: Setup) -> None:
    """Autocommit: an error after the write undoes nothing, and its events are still published."""
    with pytest.raises(ValueError):
        async with setup.outbox.statement() as one:
            one.emit("tp.probe.a", event("a"))
            await one.execute(insert_thing("kept"))
            raise ValueError("after the write")

    assert await setup.thing_count() == 1
    assert len(await setup.outbox_ids()) == 1
    assert len(setup.published) == 1


async def test_a_write_without_events_is_a_plain_statement(setup: Setup) -> None:
    async with setup.outbox.statement() as one:
        rows = await one.execute(insert_thing("quiet"))

    assert [r.key for r in rows] == ["quiet"]
    assert await setup.outbox_ids() == []
    assert setup.published == []


async def test_misuse_fails_loudly_and_stores_nothing_extra(setup: Setup) -> None:
    with pytest.raises(RuntimeError, match="one write only"):
        async with setup.outbox.statement() as one:
            await one.execute(insert_thing("k1"))
            await one.execute(insert_thing("k2"))
    with pytest.raises(RuntimeError, match="emit after the write"):
        async with setup.outbox.statement() as one:
            await one.execute(insert_thing("k3"))
            one.emit("tp.probe.a", event("late"))
    with pytest.raises(RuntimeError, match="without a write"):
        async with setup.outbox.statement() as one:
            one.emit("tp.probe.a", event("lost"))

    assert await setup.thing_count() == 2  # k1 and k3, each committed by its own statement
    assert await setup.outbox_ids() == []
    assert setup.published == []


async def test_a_write_without_returning_is_refused_by_postgresql(setup: Setup) -> None:
    """The guard needs the write's rows: without RETURNING the statement fails, nothing is stored."""
    with pytest.raises(Exception, match="RETURNING"):
        async with setup.outbox.statement() as one:
            one.emit("tp.probe.a", event("a"))
            await one.execute(insert(things).values(id=uuid4(), key="k"))

    assert await setup.thing_count() == 0
    assert await setup.outbox_ids() == []
