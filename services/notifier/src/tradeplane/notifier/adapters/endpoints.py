"""SQL for webhook endpoints: always scoped to their owner, secrets only ever stored sealed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import endpoints as t


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: UUID
    user_id: UUID
    url: str
    events: tuple[str, ...]
    enabled: bool
    consecutive_failures: int
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Target:
    """What a fan-out needs of an endpoint: where it is and who owns it."""

    id: UUID
    user_id: UUID


_PUBLIC = (
    t.c.id, t.c.user_id, t.c.url, t.c.events, t.c.enabled,
    t.c.consecutive_failures, t.c.disabled_reason, t.c.created_at, t.c.updated_at,
)  # fmt: skip


def _endpoint(row: Row[*tuple[Any, ...]]) -> Endpoint:
    values = row._asdict()
    return Endpoint(**(values | {"events": tuple(values["events"])}))


async def create(
    conn: AsyncConnection,
    endpoint_id: UUID,
    user_id: UUID,
    url: str,
    events: Sequence[str],
    enabled: bool,
    secret_sealed: bytes,
) -> Endpoint:
    stmt = (
        insert(t)
        .values(
            id=endpoint_id,
            user_id=user_id,
            url=url,
            events=list(events),
            enabled=enabled,
            secret_sealed=secret_sealed,
        )
        .returning(*_PUBLIC)
    )
    return _endpoint((await conn.execute(stmt)).one())


async def list_for(conn: AsyncConnection, user_id: UUID) -> list[Endpoint]:
    stmt = select(*_PUBLIC).where(t.c.user_id == user_id).order_by(t.c.created_at, t.c.id)
    return [_endpoint(row) for row in await conn.execute(stmt)]


async def get(
    conn: AsyncConnection, user_id: UUID, endpoint_id: UUID, *, lock: bool = False
) -> Endpoint | None:
    stmt = select(*_PUBLIC).where(t.c.id == endpoint_id, t.c.user_id == user_id)
    if lock:
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    return _endpoint(row) if row is not None else None


async def change(conn: AsyncConnection, user_id: UUID, endpoint_id: UUID, **values: Any) -> Endpoint | None:
    """Apply `values`; switching an endpoint on forgets its failure streak and why it was off."""
    if values.get("enabled") is True:
        values |= {"consecutive_failures": 0, "disabled_reason": None}
    if "events" in values:
        values["events"] = list(values["events"])
    stmt = (
        update(t)
        .where(t.c.id == endpoint_id, t.c.user_id == user_id)
        .values(**values, updated_at=func.now())
        .returning(*_PUBLIC)
    )
    row = (await conn.execute(stmt)).first()
    return _endpoint(row) if row is not None else None


async def remove(conn: AsyncConnection, user_id: UUID, endpoint_id: UUID) -> bool:
    stmt = delete(t).where(t.c.id == endpoint_id, t.c.user_id == user_id).returning(t.c.id)
    return (await conn.execute(stmt)).first() is not None


async def subscribed(conn: AsyncConnection, event_type: str, user_id: UUID | None) -> list[Target]:
    """Enabled endpoints subscribed to `event_type`: one user's, or everyone's when `user_id` is None."""
    stmt = select(t.c.id, t.c.user_id).where(t.c.enabled, t.c.events.contains([event_type]))
    if user_id is not None:
        stmt = stmt.where(t.c.user_id == user_id)
    return [Target(row.id, row.user_id) for row in await conn.execute(stmt)]


async def other_enabled(conn: AsyncConnection, user_id: UUID, endpoint_id: UUID) -> list[Target]:
    stmt = select(t.c.id, t.c.user_id).where(t.c.user_id == user_id, t.c.enabled, t.c.id != endpoint_id)
    return [Target(row.id, row.user_id) for row in await conn.execute(stmt)]


async def count_delivery(conn: AsyncConnection, endpoint_id: UUID, delivered: bool) -> Endpoint | None:
    """Reset or extend the endpoint's streak of failed deliveries; the endpoint after the change."""
    streak = 0 if delivered else t.c.consecutive_failures + 1
    stmt = update(t).where(t.c.id == endpoint_id).values(consecutive_failures=streak).returning(*_PUBLIC)
    row = (await conn.execute(stmt)).first()
    return _endpoint(row) if row is not None else None


async def disable(conn: AsyncConnection, endpoint_id: UUID, reason: str) -> Endpoint | None:
    """Switch an enabled endpoint off; None when it already was (so only one caller reports it)."""
    stmt = (
        update(t)
        .where(t.c.id == endpoint_id, t.c.enabled)
        .values(enabled=False, disabled_reason=reason, updated_at=func.now())
        .returning(*_PUBLIC)
    )
    row = (await conn.execute(stmt)).first()
    return _endpoint(row) if row is not None else None
