"""The nonce store: monotonic under concurrency and across restarts, few writes, a jump after two errors."""

from __future__ import annotations

import asyncio
from itertools import pairwise
from uuid import UUID, uuid4

import pytest
from tradeplane.execution.adapters.nonces import MemoryNonceRows, NonceStore, nonce_table
from tradeplane.execution.domain.nonce import MICROS

NOW = 1_736_164_800 * MICROS


class Clock:
    def __init__(self, now: int = NOW) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def rows() -> MemoryNonceRows:
    return MemoryNonceRows()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def account() -> UUID:
    return uuid4()


def make_store(rows: MemoryNonceRows, clock: Clock) -> NonceStore:
    return NonceStore(None, rows=rows, clock=clock)


@pytest.fixture
def store(rows: MemoryNonceRows, clock: Clock) -> NonceStore:
    return make_store(rows, clock)


@pytest.fixture
async def used(store: NonceStore, account: UUID) -> NonceStore:
    """A store that handed out one nonce for `account`."""
    await store.next(account)
    return store


@pytest.fixture
async def jumped(used: NonceStore, account: UUID) -> int:
    """The high-water mark of `used` after two errors in a row jumped it."""
    for _ in range(2):
        await used.on_error(account)
    mark: int = (await used.stats(account))["highWater"]
    return mark


async def test_concurrent_calls_get_distinct_strictly_increasing_nonces(
    store: NonceStore, account: UUID
) -> None:
    nonces = await asyncio.gather(*(store.next(account) for _ in range(200)))

    assert len(set(nonces)) == 200
    assert all(a < b for a, b in pairwise(nonces))


async def test_nonce_increases_when_the_clock_goes_back(
    store: NonceStore, clock: Clock, account: UUID
) -> None:
    first = await store.next(account)

    clock.now -= 10 * MICROS

    assert await store.next(account) > first


async def test_nonces_within_the_reserved_block_cost_no_write(
    store: NonceStore, rows: MemoryNonceRows, clock: Clock, account: UUID
) -> None:
    for _ in range(100):
        clock.now += 1_000
        await store.next(account)

    assert rows.writes == 1


async def test_restarted_store_starts_above_every_nonce_handed_out_before(
    rows: MemoryNonceRows, clock: Clock, account: UUID
) -> None:
    store = make_store(rows, clock)
    before = [await store.next(account) for _ in range(50)]

    after = await make_store(rows, clock).next(account)

    assert after > max(before)


async def test_second_error_in_a_row_jumps_the_nonce_a_minute_ahead(used: NonceStore, account: UUID) -> None:
    await used.on_error(account)
    await used.on_error(account)

    assert await used.next(account) >= NOW + 60 * MICROS
    assert (await used.stats(account))["jumps"] == 1


async def test_single_error_does_not_jump(used: NonceStore, account: UUID) -> None:
    state = await used.on_error(account)

    assert (state.jumps, state.consecutive_errors) == (0, 1)


async def test_success_between_errors_prevents_the_jump(used: NonceStore, account: UUID) -> None:
    await used.on_error(account)
    await used.on_success(account)
    state = await used.on_error(account)

    assert (state.jumps, state.total_errors) == (0, 2)


async def test_success_without_an_error_streak_writes_nothing(
    used: NonceStore, rows: MemoryNonceRows, account: UUID
) -> None:
    writes = rows.writes

    await used.on_success(account)

    assert rows.writes == writes


async def test_stats_of_an_unused_account_are_zero(store: NonceStore, account: UUID) -> None:
    stats = await store.stats(account)

    assert stats == {
        "highWater": 0,
        "consecutiveErrors": 0,
        "totalErrors": 0,
        "jumps": 0,
        "lastErrorAt": None,
    }


async def test_stats_report_the_last_error_time_in_utc(store: NonceStore, account: UUID) -> None:
    await store.on_error(account)

    assert (await store.stats(account))["lastErrorAt"] == "2025-01-06T12:00:00+00:00"


async def test_reset_clears_the_counters_and_keeps_the_mark(
    used: NonceStore, jumped: int, account: UUID
) -> None:
    stats = await used.reset(account)

    assert (stats["jumps"], stats["totalErrors"], stats["highWater"]) == (0, 0, jumped)


async def test_nonce_after_a_reset_stays_above_the_jumped_mark(
    used: NonceStore, jumped: int, account: UUID
) -> None:
    await used.reset(account)

    assert await used.next(account) > jumped


async def test_store_raises_above_a_mark_another_store_reserved(
    used: NonceStore, rows: MemoryNonceRows, clock: Clock, account: UUID
) -> None:
    first = used
    other_mark = await rows.raise_mark(account, NOW + 30 * MICROS)
    clock.now += 2 * MICROS  # past the first store's block, so it must write again

    assert await first.next(account) > other_mark


def test_nonce_table_is_the_execution_schemas() -> None:
    assert nonce_table().fullname == "execution.nonce_state"
