"""Per-account venue nonces: strictly increasing across concurrent calls and restarts, healing after errors.

The high-water mark in `nonce_state` is written ahead in blocks (`reserve_seconds` of microseconds past
the nonce handed out), so most nonces cost no write, and a restarted process starts above every nonce
it may have sent. Error counters live in the row (read-modify-write under a row lock), so the
statistics and a reset requested through another replica stay true. The policy is `domain/nonce.py`.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import MetaData, Table, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.runtime.rows import from_row, to_columns

from ..domain import nonce as policy
from ..domain.nonce import MICROS, NonceState

Clock = Callable[[], int]
Change = Callable[[NonceState], NonceState]


def now_us() -> int:
    return time.time_ns() // 1_000


class NonceRows(Protocol):
    """Where nonce state is kept: one row per account."""

    async def load(self, account_id: UUID) -> NonceState | None: ...

    async def raise_mark(self, account_id: UUID, mark: int) -> int:
        """Lift the stored high-water mark to at least `mark`; returns the stored mark."""
        ...

    async def change(self, account_id: UUID, change: Change) -> NonceState:
        """Apply `change` to the stored state atomically (the row is locked meanwhile); returns the result."""
        ...


class SqlNonceRows:
    """The execution schema's `nonce_state` table."""

    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self._engine = engine
        self._t = table

    async def load(self, account_id: UUID) -> NonceState | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(self._t).where(self._t.c.account_id == account_id))).first()
        return None if row is None else _state(row)

    async def raise_mark(self, account_id: UUID, mark: int) -> int:
        new = insert(self._t).values(account_id=account_id, high_water=mark)
        upsert = new.on_conflict_do_update(
            index_elements=[self._t.c.account_id],
            set_={"high_water": func.greatest(self._t.c.high_water, new.excluded.high_water)},
        ).returning(self._t.c.high_water)
        async with self._engine.begin() as conn:
            return int((await conn.execute(upsert)).scalar_one())

    async def change(self, account_id: UUID, change: Change) -> NonceState:
        where = self._t.c.account_id == account_id
        async with self._engine.begin() as conn:
            await conn.execute(insert(self._t).values(account_id=account_id).on_conflict_do_nothing())
            row = (await conn.execute(select(self._t).where(where).with_for_update())).one()
            state = change(_state(row))
            await conn.execute(update(self._t).where(where).values(**to_columns(state)))
        return state


class MemoryNonceRows:
    """Rows that live as long as the process: for a key not yet tied to an account, and for tests."""

    def __init__(self) -> None:
        self.rows: dict[UUID, NonceState] = {}
        self.writes = 0

    async def load(self, account_id: UUID) -> NonceState | None:
        return self.rows.get(account_id)

    async def raise_mark(self, account_id: UUID, mark: int) -> int:
        self.writes += 1
        state = self.rows.get(account_id, NonceState())
        self.rows[account_id] = replace(state, high_water=max(state.high_water, mark))
        return self.rows[account_id].high_water

    async def change(self, account_id: UUID, change: Change) -> NonceState:
        self.writes += 1
        self.rows[account_id] = change(self.rows.get(account_id, NonceState()))
        return self.rows[account_id]


@dataclass(slots=True)
class _Live:
    state: NonceState
    """`high_water` here is the last nonce handed out; the counters mirror the row."""
    reserved: int
    """The stored mark: every nonce handed out so far is at most this."""


class NonceStore:
    """Nonces for every account of one process; `engine=None` keeps them in memory only."""

    def __init__(
        self,
        engine: AsyncEngine | None,
        metadata: MetaData | None = None,
        *,
        jump_after: int = 2,
        jump_seconds: int = 60,
        reserve_seconds: float = 1.0,
        clock: Clock = now_us,
        rows: NonceRows | None = None,
    ) -> None:
        if rows is None:
            rows = MemoryNonceRows() if engine is None else SqlNonceRows(engine, nonce_table(metadata))
        self._rows = rows
        self._jump_after = jump_after
        self._jump_seconds = jump_seconds
        self._block = max(1, int(reserve_seconds * MICROS))
        self._clock = clock
        self._live: dict[UUID, _Live] = {}
        self._locks: dict[UUID, asyncio.Lock] = {}

    async def next(self, account_id: UUID) -> int:
        """The next nonce: above every one handed out before, here or by an earlier process."""
        async with self._lock(account_id):
            live = await self._loaded(account_id)
            while True:
                nonce, live.state = policy.next_nonce(live.state, self._clock())
                if nonce <= live.reserved:
                    return nonce
                wanted = nonce + self._block
                live.reserved = await self._rows.raise_mark(account_id, wanted)
                if live.reserved == wanted:
                    return nonce
                # Another store holds a higher mark (the account was open twice for a moment): go above it.
                live.state = replace(live.state, high_water=live.reserved)

    async def on_error(self, account_id: UUID) -> NonceState:
        """Count a refused nonce; the `jump_after`-th in a row moves the mark `jump_seconds` ahead."""
        async with self._lock(account_id):
            live = await self._loaded(account_id)
            last = max(live.state.high_water, live.reserved)
            now = self._clock()

            def count(stored: NonceState) -> NonceState:
                merged = replace(stored, high_water=max(stored.high_water, last))
                return policy.on_nonce_error(merged, now, self._jump_after, self._jump_seconds)

            state = await self._rows.change(account_id, count)
            # Resume above the stored mark: a fresh block is reserved by the next call.
            self._live[account_id] = _Live(state, state.high_water)
            return state

    async def on_success(self, account_id: UUID) -> None:
        """End an error streak; free (no write) when there was none."""
        live = self._live.get(account_id)
        if live is None or live.state.consecutive_errors == 0:
            return
        async with self._lock(account_id):
            state = await self._rows.change(account_id, policy.on_success)
            live.state = replace(live.state, consecutive_errors=state.consecutive_errors)

    async def stats(self, account_id: UUID) -> dict[str, Any]:
        """`highWater` (every nonce sent stays at or below it), the error counters and `lastErrorAt`."""
        return _public(await self._rows.load(account_id) or NonceState())

    async def reset(self, account_id: UUID) -> dict[str, Any]:
        """Clear the counters; the mark never goes down (the venue would refuse a lower nonce)."""
        async with self._lock(account_id):
            now = self._clock()
            state = await self._rows.change(account_id, lambda stored: policy.reset(stored, now))
            live = self._live.get(account_id)
            if live is not None:
                live.state = replace(policy.reset(live.state, now), high_water=live.state.high_water)
            return _public(state)

    def _lock(self, account_id: UUID) -> asyncio.Lock:
        return self._locks.setdefault(account_id, asyncio.Lock())

    async def _loaded(self, account_id: UUID) -> _Live:
        live = self._live.get(account_id)
        if live is None:
            stored = await self._rows.load(account_id) or NonceState()
            live = self._live[account_id] = _Live(stored, stored.high_water)
        return live


_STORES: weakref.WeakKeyDictionary[AsyncEngine, NonceStore] = weakref.WeakKeyDictionary()


def store_for(engine: AsyncEngine, **options: Any) -> NonceStore:
    """The process's one store for `engine`, so every venue of an account shares its in-memory sequence.

    `options` (NonceStore's keywords) apply when the store is first made.
    """
    store = _STORES.get(engine)
    if store is None:
        store = _STORES[engine] = NonceStore(engine, **options)
    return store


async def nonce_stats(engine: AsyncEngine, account_id: UUID) -> dict[str, Any]:
    """For `venues.nonce`: the account's nonce statistics (zeros for an account never used)."""
    return await (_STORES.get(engine) or NonceStore(engine)).stats(account_id)


async def reset_nonces(engine: AsyncEngine, account_id: UUID) -> dict[str, Any]:
    """For `venues.nonce_reset`: clear the error counters, keep the mark; returns the new statistics.

    Works from any replica: the counters a live venue relies on are re-read from the row.
    """
    return await (_STORES.get(engine) or NonceStore(engine)).reset(account_id)


def nonce_table(metadata: MetaData | None = None) -> Table:
    if metadata is None:
        from .tables import metadata as execution_metadata

        metadata = execution_metadata
    return next(t for t in metadata.tables.values() if t.name == "nonce_state")


def _state(row: Any) -> NonceState:
    return from_row(NonceState, row)


def _public(state: NonceState) -> dict[str, Any]:
    at = state.last_error_at
    return {
        "highWater": state.high_water,
        "consecutiveErrors": state.consecutive_errors,
        "totalErrors": state.total_errors,
        "jumps": state.jumps,
        "lastErrorAt": None if at is None else datetime.fromtimestamp(at / MICROS, UTC).isoformat(),
    }
