"""The nonce store on a real PostgreSQL: monotonic under concurrency, across restarts, healing, shared
stats."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from itertools import pairwise
from uuid import UUID

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.execution.adapters.nonces import NonceStore, nonce_stats, reset_nonces
from tradeplane.execution.domain.nonce import MICROS

from tests.support.databases import nonce_engine

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def engine(postgres_server_url: str) -> AsyncIterator[AsyncEngine]:
    async with nonce_engine(postgres_server_url, "tp_nonces") as engine:
        yield engine


async def test_200_concurrent_calls_get_strictly_increasing_nonces(
    engine: AsyncEngine, account: UUID
) -> None:
    store = NonceStore(engine)

    nonces = await asyncio.gather(*(store.next(account) for _ in range(200)))

    assert all(a < b for a, b in pairwise(nonces))


async def test_stored_mark_covers_every_nonce_handed_out(engine: AsyncEngine, account: UUID) -> None:
    store = NonceStore(engine)

    nonces = await asyncio.gather(*(store.next(account) for _ in range(200)))

    assert (await nonce_stats(engine, account))["highWater"] >= max(nonces)


async def test_store_restarted_on_the_same_database_starts_above_the_old_nonces(
    engine: AsyncEngine, account: UUID
) -> None:
    before = [await NonceStore(engine).next(account)]
    store = NonceStore(engine)
    before += [await store.next(account) for _ in range(20)]

    assert await NonceStore(engine).next(account) > max(before)


async def test_two_errors_in_a_row_jump_the_mark_a_minute_ahead_for_every_replica(
    engine: AsyncEngine, account: UUID
) -> None:
    store = NonceStore(engine)
    started = time.time_ns() // 1000
    await store.next(account)

    await store.on_error(account)
    await store.on_error(account)

    stats = await nonce_stats(engine, account)
    assert (stats["jumps"], stats["totalErrors"], stats["consecutiveErrors"]) == (1, 2, 0)
    assert stats["highWater"] >= started + 60 * MICROS
    assert await NonceStore(engine).next(account) > stats["highWater"]


async def test_reset_from_another_store_clears_counters_the_live_store_then_builds_on(
    engine: AsyncEngine, account: UUID
) -> None:
    live = NonceStore(engine)
    await live.next(account)
    await live.on_error(account)

    await reset_nonces(engine, account)
    await live.on_error(account)

    stats = await nonce_stats(engine, account)
    assert (stats["totalErrors"], stats["jumps"]) == (1, 0)


async def test_stats_of_an_account_never_used_are_zero(engine: AsyncEngine, account: UUID) -> None:
    stats = await nonce_stats(engine, account)

    assert (stats["highWater"], stats["totalErrors"], stats["lastErrorAt"]) == (0, 0, None)
