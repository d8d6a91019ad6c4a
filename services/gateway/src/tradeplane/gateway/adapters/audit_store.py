"""SQL of the chained audit log: appending an entry to its chain, searching and verifying the chains."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, String, Text, and_, bindparam, cast, func, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import AuditRecorded

from ..audit_chain import GENESIS, Entry, Head, entry_hash
from .tables import audit_heads, audit_log


async def append(conn: AsyncConnection, chain: str, event: AuditRecorded) -> bool:
    """Store an audit event at the end of `chain` once (its event id is the key); False when it was
    already stored. The chain's head row is locked until the transaction ends, so concurrent writers
    (workers, replicas) append one after another and the chain never forks."""
    await conn.execute(insert(audit_heads).values(chain=chain, seq=0, hash=GENESIS).on_conflict_do_nothing())
    locked = select(audit_heads.c.seq, audit_heads.c.hash).where(audit_heads.c.chain == chain)
    head = (await conn.execute(locked.with_for_update())).one()
    taken = select(audit_log.c.event_id).where(audit_log.c.event_id == event.meta.event_id)
    if (await conn.execute(taken)).first() is not None:
        return False
    details = (
        await conn.execute(select(cast(bindparam("d", event.details, type_=JSONB), Text)))
    ).scalar_one()
    entry = Entry(
        chain=chain,
        seq=int(head.seq) + 1,
        event_id=event.meta.event_id,
        occurred_at=event.meta.occurred_at,
        producer=event.meta.producer[:64],
        actor=event.actor[:200],
        action=event.action[:100],
        target=event.target[:200],
        reason=event.reason[:500],
        details=details,
        prev_hash=head.hash,
    )
    digest = entry_hash(entry)
    await conn.execute(
        insert(audit_log).values(
            event_id=entry.event_id,
            occurred_at=entry.occurred_at,
            producer=entry.producer,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            reason=entry.reason,
            details=cast(bindparam("details", details, type_=String), JSONB),
            chain=chain,
            seq=entry.seq,
            prev_hash=entry.prev_hash,
            hash=digest,
        )
    )
    await conn.execute(
        audit_heads.update().where(audit_heads.c.chain == chain).values(seq=entry.seq, hash=digest)
    )
    return True


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which entries: by or about `viewer` (None: everyone's), of an actor, an action, a time range."""

    viewer: tuple[UUID, str] | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> Any:
        conditions = []
        if self.viewer is not None:
            user_id, email = self.viewer
            conditions.append(
                or_(audit_log.c.actor.in_([email, str(user_id)]), audit_log.c.target == str(user_id))
            )
        if self.actor:
            conditions.append(audit_log.c.actor == self.actor)
        if self.action:
            conditions.append(audit_log.c.action == self.action)
        if self.since is not None:
            conditions.append(audit_log.c.occurred_at >= self.since)
        if self.until is not None:
            conditions.append(audit_log.c.occurred_at < self.until)
        return and_(*conditions) if conditions else true()


async def search(
    conn: AsyncConnection, query: AuditQuery, offset: int, limit: int
) -> tuple[Sequence[Row[Any]], int]:
    """Matching entries, newest first, and how many match."""
    where = query.where()
    rows = (
        await conn.execute(
            select(audit_log)
            .where(where)
            .order_by(audit_log.c.occurred_at.desc(), audit_log.c.event_id)
            .offset(offset)
            .limit(limit)
        )
    ).all()
    total = (await conn.execute(select(func.count()).select_from(audit_log).where(where))).scalar_one()
    return rows, int(total)


async def export(conn: AsyncConnection, query: AuditQuery, batch: int = 1000) -> AsyncIterator[Row[Any]]:
    """Every matching entry, oldest first, read in batches (an export of any size in bounded memory)."""
    stmt = (
        select(audit_log)
        .where(query.where())
        .order_by(audit_log.c.occurred_at, audit_log.c.event_id)
        .execution_options(yield_per=batch)
    )
    async for row in await conn.stream(stmt):
        yield row


async def chain_entries(conn: AsyncConnection, batch: int = 1000) -> AsyncIterator[Entry]:
    """Every stored entry, by chain and sequence number, as the chain hashes it."""
    stmt = (
        select(
            audit_log.c.chain,
            audit_log.c.seq,
            audit_log.c.event_id,
            audit_log.c.occurred_at,
            audit_log.c.producer,
            audit_log.c.actor,
            audit_log.c.action,
            audit_log.c.target,
            audit_log.c.reason,
            cast(audit_log.c.details, Text).label("details"),
            audit_log.c.prev_hash,
            audit_log.c.hash,
        )
        .order_by(audit_log.c.chain, audit_log.c.seq)
        .execution_options(yield_per=batch)
    )
    async for row in await conn.stream(stmt):
        yield Entry(**row._mapping)


async def heads(conn: AsyncConnection) -> dict[str, Head]:
    rows = (await conn.execute(select(audit_heads))).all()
    return {row.chain: Head(int(row.seq), row.hash) for row in rows}
