"""The notifier's delivery queue on a real PostgreSQL: leases, per-endpoint bounds and SKIP LOCKED claims."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
import tradeplane.notifier
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from tradeplane.notifier.adapters import deliveries, endpoints, tables
from tradeplane.notifier.adapters.endpoints import Target
from tradeplane.notifier.adapters.sender import DeliveryResult
from tradeplane.notifier.domain import notices
from tradeplane.notifier.domain.outcome import DeliveryStatus, Outcome
from tradeplane.runtime.migrations import upgrade
from tradeplane.runtime.settings import ServiceSettings

pytestmark = pytest.mark.integration

MIGRATIONS = Path(tradeplane.notifier.__file__).parent / "migrations"
HELD = 60.0
EXPIRED = 0.0


@pytest.fixture
async def engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    url = ServiceSettings(database_url=fresh_database_url).sqlalchemy_url
    await asyncio.to_thread(upgrade, url, MIGRATIONS)
    engine = create_async_engine(url)
    yield engine
    await engine.dispose()


async def endpoint_with(engine: AsyncEngine, pending: int) -> Target:
    """A new endpoint with `pending` deliveries due now."""
    user, endpoint_id = uuid4(), uuid4()
    async with engine.begin() as conn:
        await endpoints.create(conn, endpoint_id, user, "https://example.com/h", ["trade_exit"], True, b"x")
        for _ in range(pending):
            ping = notices.ping(uuid4(), user, endpoint_id, datetime.now(UTC))
            await deliveries.enqueue(conn, [Target(endpoint_id, user)], ping)
    return Target(endpoint_id, user)


async def claim(engine: AsyncEngine, owner: str, lease: float = HELD, limit: int = 10) -> list[UUID]:
    async with engine.begin() as conn:
        claimed = await deliveries.claim(conn, owner, limit=limit, per_endpoint=2, lease_seconds=lease)
    return [c.id for c in claimed]


async def test_claim_leases_at_most_the_per_endpoint_bound_of_one_endpoint(engine: AsyncEngine) -> None:
    busy = await endpoint_with(engine, 5)
    quiet = await endpoint_with(engine, 1)

    async with engine.begin() as conn:
        claimed = await deliveries.claim(conn, "w1", limit=10, per_endpoint=2, lease_seconds=HELD)

    assert sorted(str(c.endpoint_id) for c in claimed) == sorted([str(busy.id)] * 2 + [str(quiet.id)])


async def test_held_lease_counts_against_the_bound_for_other_workers(engine: AsyncEngine) -> None:
    await endpoint_with(engine, 3)
    await claim(engine, "w1", limit=1)

    assert len(await claim(engine, "w2")) == 1


async def test_expired_lease_lets_another_worker_take_the_delivery(engine: AsyncEngine) -> None:
    await endpoint_with(engine, 1)
    [first] = await claim(engine, "dead-worker", lease=EXPIRED)

    assert await claim(engine, "w2") == [first]


async def test_released_leases_are_claimable_at_once(engine: AsyncEngine) -> None:
    await endpoint_with(engine, 1)
    [first] = await claim(engine, "restarting")
    async with engine.begin() as conn:
        await deliveries.release(conn, "restarting")

    assert await claim(engine, "restarting") == [first]


async def test_concurrent_claims_never_share_a_delivery(engine: AsyncEngine) -> None:
    await endpoint_with(engine, 1)
    await endpoint_with(engine, 1)

    async with engine.begin() as first_tx:
        first = await deliveries.claim(first_tx, "w1", limit=1, per_endpoint=2, lease_seconds=HELD)
        # w1 has not committed: its row is locked, so w2 skips it rather than waiting or taking it.
        second = await claim(engine, "w2")

    assert len(first) == 1
    assert len(second) == 1
    assert first[0].id != second[0]


async def test_a_scheduled_retry_is_not_claimed_before_it_is_due(engine: AsyncEngine) -> None:
    await endpoint_with(engine, 1)
    async with engine.begin() as conn:
        [claimed] = await deliveries.claim(conn, "w1", limit=1, per_endpoint=2, lease_seconds=HELD)
        failure = DeliveryResult(503, False, True, 12, "HTTP 503")
        await deliveries.settle(conn, claimed, "w1", failure, Outcome(DeliveryStatus.PENDING, retry_in=HELD))

    assert await claim(engine, "w2") == []


async def test_purge_removes_old_settled_deliveries_and_keeps_pending_ones(engine: AsyncEngine) -> None:
    await endpoint_with(engine, 2)
    async with engine.begin() as conn:
        settled, _ = await deliveries.claim(conn, "w1", limit=2, per_endpoint=2, lease_seconds=HELD)
        ok = DeliveryResult(200, True, False, 12)
        await deliveries.settle(conn, settled, "w1", ok, Outcome(DeliveryStatus.SUCCEEDED))
        await conn.execute(
            update(tables.deliveries)
            .where(tables.deliveries.c.id == settled.id)
            .values(completed_at=func.now() - timedelta(days=40))
        )

        purged = await deliveries.purge(conn, older_than_days=30)
        left = (await conn.execute(select(tables.deliveries.c.status))).scalars().all()

    assert (purged, left) == (1, ["pending"])
