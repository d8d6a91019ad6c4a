"""SQL of the chained audit log: appending an entry to its chain, searching and verifying the chains."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    DateTime,
    Row,
    String,
    Text,
    Uuid,
    and_,
    bindparam,
    cast,
    exists,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import AuditRecorded

from ..audit_chain import GENESIS, Entry, Head, entry_hash
from .tables import audit_heads, audit_log


async def append(conn: AsyncConnection, chain: str, event: AuditRecorded) -> bool:
    """Store an audit event at the end of `chain` once (its event id is the key); False when it was
    already stored."""
    [stored] = await append_batch(conn, chain, [event])
    return stored


async def append_batch(conn: AsyncConnection, chain: str, events: Sequence[AuditRecorded]) -> list[bool]:
    """Store audit events at the end of `chain` in their order, each once (its event id is the key), in
    a constant number of statements whatever their number; per event, False when it was already stored
    (or comes again earlier in `events`). The chain's head row is locked until the transaction ends, so
    concurrent writers (workers, replicas) append one after another and the chain never forks."""
    if not events:
        return []
    head = await _lock_head(conn, chain)
    # After the lock (a statement of its own: under READ COMMITTED this one then sees what the writer
    # before us committed), so an event another replica just stored counts as taken.
    params = {"ids": [e.meta.event_id for e in events], "details": [json.dumps(e.details) for e in events]}
    checked = (await conn.execute(_CHECK, params)).all()
    seq, previous = head.seq, head.hash
    rows: list[Entry] = []
    stored: list[bool] = []
    seen: set[UUID] = set()
    for event, row in zip(events, checked, strict=True):
        event_id = event.meta.event_id
        if row.taken or event_id in seen:
            stored.append(False)
            continue
        seen.add(event_id)
        seq += 1
        entry = Entry(
            chain=chain,
            seq=seq,
            event_id=event_id,
            occurred_at=event.meta.occurred_at,
            producer=event.meta.producer[:64],
            actor=event.actor[:200],
            action=event.action[:100],
            target=event.target[:200],
            reason=event.reason[:500],
            details=row.details,
            prev_hash=previous,
        )
        previous = entry_hash(entry)
        rows.append(dataclasses.replace(entry, hash=previous))
        stored.append(True)
    if rows:  # the entries and the chain's new head, in one statement
        columns = {f"r_{name}": [getattr(row, name) for row in rows] for name in _ROW_FIELDS}
        await conn.execute(_APPEND, {"b_chain": chain, "head_seq": seq, "head_hash": previous, **columns})
    return stored


async def _lock_head(conn: AsyncConnection, chain: str) -> Head:
    """The chain's head, locked until the transaction ends (created at genesis the first time)."""
    locked = (
        select(audit_heads.c.seq, audit_heads.c.hash).where(audit_heads.c.chain == chain).with_for_update()
    )
    head = (await conn.execute(locked)).first()
    if head is None:
        await conn.execute(
            insert(audit_heads).values(chain=chain, seq=0, hash=GENESIS).on_conflict_do_nothing()
        )
        head = (await conn.execute(locked)).one()
    return Head(int(head.seq), str(head.hash))


# Per event, in order: its details as PostgreSQL prints them once stored as JSONB (what the hash
# covers), and whether its id is already in the log.
_EVENTS = (
    func.unnest(bindparam("ids", type_=ARRAY(Uuid)), bindparam("details", type_=ARRAY(Text)))
    .table_valued("event_id", "details", with_ordinality="n")
    .render_derived()
    .alias("e")
)
_CHECK = select(
    cast(cast(_EVENTS.c.details, JSONB), Text).label("details"),
    exists().where(audit_log.c.event_id == _EVENTS.c.event_id).label("taken"),
).order_by(_EVENTS.c.n)


# The entries of a batch as one array per column (one statement whatever their number, and one SQL text
# the statement cache keeps), inserted along with the chain's new head.
_ROW_FIELDS: dict[str, Any] = {
    "event_id": Uuid,
    "occurred_at": DateTime(timezone=True),
    "producer": Text,
    "actor": Text,
    "action": Text,
    "target": Text,
    "reason": Text,
    "details": Text,
    "seq": BigInteger,
    "prev_hash": Text,
    "hash": Text,
}
_ROWS = (
    func.unnest(*(bindparam(f"r_{name}", type_=ARRAY(kind)) for name, kind in _ROW_FIELDS.items()))
    .table_valued(*_ROW_FIELDS)
    .render_derived()
    .alias("r")
)
_APPENDED = (
    insert(audit_log)
    .from_select(
        [*_ROW_FIELDS, "chain"],
        select(
            *(cast(_ROWS.c[name], JSONB) if name == "details" else _ROWS.c[name] for name in _ROW_FIELDS),
            bindparam("b_chain", type_=String),
        ),
    )
    .cte("appended")
)
_APPEND = (
    audit_heads.update()
    .where(audit_heads.c.chain == bindparam("b_chain", type_=String))
    .values(seq=bindparam("head_seq"), hash=bindparam("head_hash"))
    .add_cte(_APPENDED)
)


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
