"""Transactional outbox: events are written with the database change and published after commit.

The fast path publishes right after the commit; a sweeper publishes whatever a crash left behind.
Both publish with `Nats-Msg-Id` = event id, so JetStream drops the duplicate if both happen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import MetaData, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tradeplane.contracts import Message

from . import telemetry
from .periodic import cancel_all

log = logging.getLogger(__name__)

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
    pending: list[Envelope] = field(default_factory=list)

    def emit(self, subject: str, message: Message, headers: dict[str, str] | None = None) -> None:
        self.pending.append(envelope(subject, message, headers))


class Outbox:
    def __init__(self, engine: AsyncEngine, metadata: MetaData, publish: PublishFn) -> None:
        self.engine = engine
        self.table = metadata.tables[f"{metadata.schema}.outbox"]
        self._publish = publish
        self._published: list[UUID] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Commit the caller's changes and its events together; publish only what was committed."""
        async with self.engine.connect() as conn:
            tx = Tx(conn)
            async with conn.begin():
                yield tx
                if tx.pending:
                    await conn.execute(self.table.insert(), [_row(e) for e in tx.pending])
        if tx.pending:
            await self.publish_committed(tx.pending)

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
            asyncio.create_task(self._mark_loop(), name="outbox-mark"),
            asyncio.create_task(self._sweep_loop(sweep_seconds), name="outbox-sweep"),
        ]

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        await self._mark_published()

    async def _mark_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._mark_published()
            except Exception:
                log.exception("could not mark outbox rows published")
                await asyncio.sleep(1)

    async def _mark_published(self) -> None:
        ids, self._published = self._published, []
        if not ids:
            return
        async with self.engine.begin() as conn:
            await conn.execute(
                update(self.table).where(self.table.c.event_id.in_(ids)).values(published_at=text("now()"))
            )

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
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(t.c.event_id, t.c.subject, t.c.payload, t.c.headers)
                    .where(t.c.published_at.is_(None))
                    .where(t.c.created_at < text(f"now() - interval '{float(min_age_seconds)} seconds'"))
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
                await conn.execute(update(t).where(t.c.event_id.in_(done)).values(published_at=text("now()")))
        return len(done)

    async def purge(self, older_than_hours: int = 24) -> None:
        t = self.table
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(t).where(t.c.published_at < text(f"now() - interval '{int(older_than_hours)} hours'"))
            )


def _row(env: Envelope) -> dict[str, Any]:
    return {"event_id": env.event_id, "subject": env.subject, "payload": env.payload, "headers": env.headers}
