"""Transactional outbox: events are written with the database change and published after commit.

The fast path publishes right after the commit and deletes the published rows in batches later; a
sweeper publishes whatever a crash left behind. Both publish with `Nats-Msg-Id` = event id, so
JetStream drops the duplicate if both happen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    CursorResult,
    Delete,
    Insert,
    MetaData,
    Row,
    Table,
    TextClause,
    Update,
    Uuid,
    any_,
    bindparam,
    delete,
    exists,
    insert,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tradeplane.contracts import Message

from . import telemetry
from .db import reading
from .periodic import cancel_all

log = logging.getLogger(__name__)

_Write = Insert | Update | Delete
MAX_INLINE_EVENTS = 1000
"""More events than this (4 bound values each) go in their own INSERT at the transaction's end,
well below PostgreSQL's 65,535 parameters per statement."""
PublishFn = Callable[[str, bytes, dict[str, str]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Envelope:
    event_id: UUID
    subject: str
    payload: bytes
    headers: dict[str, str]


def envelope(subject: str, message: Message, headers: dict[str, str] | None = None) -> Envelope:
    event_id = message.meta.event_id
    all_headers = {"Nats-Msg-Id": str(event_id), **(headers or {})}
    telemetry.inject(all_headers)  # the producer's trace, kept in the row until the relay publishes
    return Envelope(event_id, subject, message.model_dump_json().encode(), all_headers)


@dataclass
class Tx:
    """One database transaction plus the events it will publish once committed."""

    conn: AsyncConnection
    table: Table
    pending: list[Envelope] = field(default_factory=list)
    """Emitted, not yet written: the transaction's end inserts them."""
    written: list[Envelope] = field(default_factory=list)
    """Emitted and already inserted by `execute`."""

    def emit(self, subject: str, message: Message, headers: dict[str, str] | None = None) -> None:
        self.pending.append(envelope(subject, message, headers))

    async def execute(self, statement: _Write) -> CursorResult[Any]:
        """Run a write with the events emitted so far inserted by the same statement (a CTE): the
        change and its outbox rows in one round trip. Emit first, then write."""
        if self.pending and len(self.pending) <= MAX_INLINE_EVENTS:
            rows = insert(self.table).values([_row(e) for e in self.pending])
            statement = statement.add_cte(rows.cte("outbox_rows"))
            self.written += self.pending
            self.pending = []
        return await self.conn.execute(statement)

    @property
    def envelopes(self) -> list[Envelope]:
        return self.written + self.pending


@dataclass
class OneWrite:
    """ONE write in autocommit with its events in the same statement: one round trip, no BEGIN/COMMIT.

    Emit first, then `execute` exactly once. The write becomes a CTE the outbox insert is guarded by
    (`WHERE EXISTS (SELECT FROM write)`), so its events are stored only when it changed a row: an
    `INSERT ... ON CONFLICT DO NOTHING RETURNING` that finds its key taken stores no event. The write
    must have a RETURNING clause (PostgreSQL refuses the guard otherwise). A second `execute`, an
    `emit` after it, or events emitted with no write raise `RuntimeError`.
    """

    conn: AsyncConnection
    table: Table
    pending: list[Envelope] = field(default_factory=list)
    written: list[Envelope] = field(default_factory=list)
    """The events stored with the write (none when it changed nothing)."""
    executed: bool = False

    def emit(self, subject: str, message: Message, headers: dict[str, str] | None = None) -> None:
        if self.executed:
            raise RuntimeError("emit after the write: its events must be stored by the write itself")
        if len(self.pending) >= MAX_INLINE_EVENTS:
            raise RuntimeError(f"at most {MAX_INLINE_EVENTS} events fit in one statement")
        self.pending.append(envelope(subject, message, headers))

    async def execute(self, statement: _Write) -> list[Row[Any]]:
        """Run the write, with the events emitted so far stored if it returned a row; its rows."""
        if self.executed:
            raise RuntimeError("one write only: it commits on its own (autocommit)")
        self.executed = True
        if not self.pending:
            return list((await self.conn.execute(statement)).all())
        write = statement.cte("write")
        t = self.table
        columns = [t.c.event_id, t.c.subject, t.c.payload, t.c.headers]
        rows = union_all(*(select(*_literals(t, e)) for e in self.pending))
        guarded = select(rows.subquery()).where(exists(select(1).select_from(write)))
        outbox_rows = insert(t).from_select(columns, guarded).cte("outbox_rows")
        returned = list((await self.conn.execute(select(write).add_cte(outbox_rows))).all())
        if returned:
            self.written, self.pending = self.pending, []
        return returned


class Outbox:
    """Writes events with their transaction; publishes them after commit; forgets them in batches.

    A published row is deleted by a batch every `forget_seconds` (one statement for many events, off
    the hot path); a crash between commit and publish, or a failed publish, leaves the row for the
    sweeper, which publishes rows older than `sweep` ages with the same `Nats-Msg-Id` (JetStream
    drops the duplicate if the fast path got there too).
    """

    def __init__(
        self, engine: AsyncEngine, metadata: MetaData, publish: PublishFn, forget_seconds: float = 0.5
    ) -> None:
        self.engine = engine
        self.table = metadata.tables[f"{metadata.schema}.outbox"]
        self._publish = publish
        self._forget_seconds = forget_seconds
        self._published: list[UUID] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Commit the caller's changes and its events together; publish only what was committed."""
        async with self.engine.connect() as conn:
            tx = Tx(conn, self.table)
            async with conn.begin():
                yield tx
                if tx.pending:
                    await conn.execute(insert(self.table), [_row(e) for e in tx.pending])
        if tx.written or tx.pending:
            await self.publish_committed(tx.envelopes)

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[OneWrite]:
        """One write and its events in one statement, autocommitted (see `OneWrite`); the events it
        stored are published right after, even if the block raises later (the write is committed)."""
        async with reading(self.engine) as conn:
            one = OneWrite(conn, self.table)
            try:
                yield one
            finally:
                if one.written:
                    await self.publish_committed(one.written)
            if one.pending and not one.executed:
                raise RuntimeError("events emitted without a write: nothing would store them")

    async def publish_committed(self, envelopes: list[Envelope]) -> None:
        for env in envelopes:
            try:
                await self._publish(env.subject, env.payload, env.headers)
            except Exception as exc:  # the sweeper retries; the commit already happened
                log.warning(
                    "outbox publish failed; the sweeper will retry",
                    extra={"subject": env.subject, "error": repr(exc)},
                )
                return
            self._published.append(env.event_id)
        self._wake.set()

    def start(self, sweep_seconds: float = 1.0) -> None:
        self._tasks = [
            asyncio.create_task(self._forget_loop(), name="outbox-forget"),
            asyncio.create_task(self._sweep_loop(sweep_seconds), name="outbox-sweep"),
        ]

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        await self._forget_published()

    async def _forget_loop(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._forget_seconds)  # gather a batch: one DELETE for many events
            self._wake.clear()
            try:
                await self._forget_published()
            except Exception:
                log.exception("could not delete published outbox rows; the sweeper may publish them again")
                await asyncio.sleep(1)

    async def _forget_published(self) -> None:
        ids, self._published = self._published, []
        if not ids:
            return
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(self._delete, {"ids": ids})

    @property
    def _delete(self) -> Delete:
        return delete(self.table).where(self.table.c.event_id == any_(bindparam("ids", type_=ARRAY(Uuid))))

    async def _sweep_loop(self, every: float) -> None:
        sweeps = 0
        while True:
            await asyncio.sleep(every)
            try:
                await self.sweep()
                sweeps += 1
                if sweeps % 600 == 0:
                    await self.purge()
            except Exception:
                log.exception("outbox sweep failed")

    async def sweep(self, min_age_seconds: float = 2.0, limit: int = 500) -> int:
        """Publish rows left unpublished (a crash between commit and publish). Returns how many."""
        t = self.table
        stale = (t.c.published_at.is_(None), t.c.created_at < _ago(min_age_seconds))
        async with self.engine.connect() as conn:  # the usual case, nothing left: one round trip
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            if (await conn.execute(select(t.c.id).where(*stale).limit(1))).first() is None:
                return 0
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(t.c.event_id, t.c.subject, t.c.payload, t.c.headers)
                    .where(*stale)
                    .order_by(t.c.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            done: list[UUID] = []
            for row in rows:
                try:
                    await self._publish(row.subject, row.payload, dict(row.headers))
                except Exception:
                    log.warning("outbox sweep publish failed", extra={"subject": row.subject})
                    break
                done.append(row.event_id)
            if done:
                await conn.execute(self._delete, {"ids": done})
        return len(done)

    async def purge(self, older_than_hours: int = 24) -> None:
        """Rows marked published by earlier versions, which kept them a day."""
        t = self.table
        async with self.engine.begin() as conn:
            await conn.execute(delete(t).where(t.c.published_at < _ago(older_than_hours * 3600)))


def _ago(seconds: float) -> TextClause:
    return text(f"now() - interval '{float(seconds)} seconds'")


def _literals(t: Table, env: Envelope) -> list[Any]:
    return [
        literal(env.event_id, t.c.event_id.type).label("event_id"),
        literal(env.subject, t.c.subject.type).label("subject"),
        literal(env.payload, t.c.payload.type).label("payload"),
        literal(env.headers, t.c.headers.type).label("headers"),
    ]


def _row(env: Envelope) -> dict[str, Any]:
    return {"event_id": env.event_id, "subject": env.subject, "payload": env.payload, "headers": env.headers}
