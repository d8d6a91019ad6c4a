"""SQL of the kill switch: the halts engaged now, and the audit trail of every activation and release."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import delete, or_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import HaltEngaged, streams
from tradeplane.runtime.paging import counted_page

from .tables import halt_audit, halts


async def engage(conn: AsyncConnection, halt: HaltEngaged) -> None:
    values = {
        "scope": halt.scope.value,
        "user_id": halt.user_id,
        "reason": halt.reason,
        "actor": halt.actor,
        "event_id": halt.meta.event_id,
        "since": halt.meta.occurred_at,
    }
    stmt = insert(halts).values(key=streams.halt_key(halt.user_id), **values)
    await conn.execute(stmt.on_conflict_do_update(index_elements=[halts.c.key], set_=values))


async def release(conn: AsyncConnection, user_id: UUID | None) -> None:
    await conn.execute(delete(halts).where(halts.c.key == streams.halt_key(user_id)))


async def audit(
    conn: AsyncConnection, action: str, scope: str, user_id: UUID | None, actor: str, reason: str
) -> None:
    await conn.execute(
        halt_audit.insert().values(action=action, scope=scope, user_id=user_id, actor=actor, reason=reason)
    )


async def history(
    conn: AsyncConnection, visible_to: UUID | None, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the audit, newest first, and the total; `visible_to` limits it to global entries and
    that user's own (None: everything)."""
    where = (
        []
        if visible_to is None
        else [or_(halt_audit.c.user_id.is_(None), halt_audit.c.user_id == visible_to)]
    )
    rows, total = await counted_page(
        conn, halt_audit, where, [halt_audit.c.id.desc()], offset=offset, limit=limit
    )
    return [_entry(row._mapping) for row in rows], total


def _entry(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "action": row["action"],
        "scope": row["scope"],
        "userId": None if row["user_id"] is None else str(row["user_id"]),
        "actor": row["actor"],
        "reason": row["reason"],
        "at": row["at"].isoformat(),
    }
