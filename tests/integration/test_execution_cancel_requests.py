"""The execution store's early cancels on real PostgreSQL: recorded once, seen with the order's send state,
pruned when old."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
import tradeplane.execution
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.contracts import CancelOrder, new_meta, utcnow
from tradeplane.execution.adapters.store import Arrival, SqlStore
from tradeplane.execution.adapters.tables import cancel_requests, metadata
from tradeplane.runtime import Outbox

from tests.support.databases import database_engine

pytestmark = pytest.mark.integration

MIGRATIONS = Path(tradeplane.execution.__file__).parent / "migrations"


@pytest.fixture(scope="module")
async def engine(postgres_server_url: str) -> AsyncIterator[AsyncEngine]:
    async with database_engine(postgres_server_url, "tp_exec", MIGRATIONS) as engine:
        yield engine


async def _no_publishing(subject: str, payload: bytes, headers: dict[str, str]) -> None:
    raise AssertionError("early cancels publish nothing")


def store(engine: AsyncEngine) -> SqlStore:
    return SqlStore(engine, Outbox(engine, metadata, _no_publishing), partitions=16)


def cancel() -> CancelOrder:
    return CancelOrder(meta=new_meta("gateway"), order_id=uuid4(), user_id=uuid4(), account_id=uuid4())


async def test_an_early_cancel_is_recorded_once_and_seen_when_the_order_arrives(engine: AsyncEngine) -> None:
    sql, cmd = store(engine), cancel()
    assert await sql.arrival(cmd.order_id) == Arrival(None, None)

    await sql.remember_cancel(cmd)
    await sql.remember_cancel(cmd.model_copy(update={"meta": new_meta("gateway"), "reason": "again"}))

    assert await sql.arrival(cmd.order_id) == Arrival(None, "user")


async def test_old_early_cancels_are_pruned_and_recent_ones_kept(engine: AsyncEngine) -> None:
    sql, old, recent = store(engine), cancel(), cancel()
    await sql.remember_cancel(old)
    async with engine.begin() as conn:
        await conn.execute(
            cancel_requests.update()
            .where(cancel_requests.c.order_id == old.order_id)
            .values(requested_at=utcnow() - timedelta(days=8))
        )
    await sql.remember_cancel(recent)

    pruned = await sql.prune_cancels(utcnow() - timedelta(days=7))

    assert pruned == 1
    assert (await sql.arrival(old.order_id)).cancel_reason is None
    assert (await sql.arrival(recent.order_id)).cancel_reason == "user"
