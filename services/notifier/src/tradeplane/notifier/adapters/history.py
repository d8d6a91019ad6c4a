"""Reading the delivery log and its statistics, for one user's endpoints."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import deliveries as d
from .tables import delivery_attempts as a
from .tables import endpoints as e


@dataclass(frozen=True, slots=True)
class Attempt:
    attempt: int
    ok: bool
    status_code: int | None
    latency_ms: int
    failure: str | None
    error: str | None
    attempted_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: UUID
    endpoint_id: UUID
    event_id: UUID
    event_type: str
    webhook_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    created_at: datetime
    completed_at: datetime | None
    attempt_log: tuple[Attempt, ...] = ()


@dataclass(frozen=True, slots=True)
class EndpointStats:
    endpoint_id: UUID
    url: str
    enabled: bool
    consecutive_failures: int
    total: int
    succeeded: int
    failed: int
    pending: int
    attempts: int
    latency_ms_sum: int


_DELIVERY = (
    d.c.id, d.c.endpoint_id, d.c.event_id, d.c.event_type, d.c.webhook_id, d.c.status, d.c.attempts,
    d.c.next_attempt_at, d.c.last_status_code, d.c.last_latency_ms, d.c.last_error, d.c.created_at,
    d.c.completed_at,
)  # fmt: skip
_ATTEMPT = (a.c.attempt, a.c.ok, a.c.status_code, a.c.latency_ms, a.c.failure, a.c.error, a.c.attempted_at)


async def _attempts(conn: AsyncConnection, ids: list[UUID]) -> dict[UUID, list[Attempt]]:
    by_delivery: dict[UUID, list[Attempt]] = defaultdict(list)
    if ids:
        stmt = select(a.c.delivery_id, *_ATTEMPT).where(a.c.delivery_id.in_(ids)).order_by(a.c.id)
        for row in await conn.execute(stmt):
            values = row._asdict()
            by_delivery[values.pop("delivery_id")].append(Attempt(**values))
    return by_delivery


async def _with_attempts(conn: AsyncConnection, rows: list[Row[*tuple[Any, ...]]]) -> list[Delivery]:
    attempts = await _attempts(conn, [row.id for row in rows])
    return [Delivery(**row._asdict(), attempt_log=tuple(attempts.get(row.id, ()))) for row in rows]


async def page(
    conn: AsyncConnection, endpoint_id: UUID, page_number: int, page_size: int
) -> tuple[list[Delivery], int]:
    """One page of an endpoint's deliveries, newest first, and how many there are in all."""
    total = (await conn.execute(select(func.count()).where(d.c.endpoint_id == endpoint_id))).scalar_one()
    stmt = (
        select(*_DELIVERY)
        .where(d.c.endpoint_id == endpoint_id)
        .order_by(d.c.seq.desc())
        .limit(page_size)
        .offset((page_number - 1) * page_size)
    )
    rows = list(await conn.execute(stmt))
    return await _with_attempts(conn, rows), total


async def one(conn: AsyncConnection, delivery_id: UUID) -> Delivery | None:
    rows = list(await conn.execute(select(*_DELIVERY).where(d.c.id == delivery_id)))
    found = await _with_attempts(conn, rows)
    return found[0] if found else None


def _count(status: str) -> Any:
    return func.count(d.c.id).filter(d.c.status == status)


async def stats(conn: AsyncConnection, user_id: UUID) -> list[EndpointStats]:
    """Delivery counts and attempt latencies per endpoint of `user_id` (endpoints without any included)."""
    latency = (
        select(
            d.c.endpoint_id,
            func.count(a.c.id).label("attempts"),
            func.coalesce(func.sum(a.c.latency_ms), 0).label("latency_ms_sum"),
        )
        .select_from(a.join(d, a.c.delivery_id == d.c.id))
        .where(d.c.user_id == user_id)
        .group_by(d.c.endpoint_id)
        .subquery()
    )
    counts = (
        select(
            e.c.id.label("endpoint_id"),
            e.c.url,
            e.c.enabled,
            e.c.consecutive_failures,
            func.count(d.c.id).label("total"),
            _count("succeeded").label("succeeded"),
            _count("failed").label("failed"),
            _count("pending").label("pending"),
        )
        .select_from(e.outerjoin(d, and_(d.c.endpoint_id == e.c.id)))
        .where(e.c.user_id == user_id)
        .group_by(e.c.id)
        .subquery()
    )
    stmt = (
        select(
            counts,
            func.coalesce(latency.c.attempts, 0).label("attempts"),
            func.coalesce(latency.c.latency_ms_sum, 0).label("latency_ms_sum"),
        )
        .select_from(counts.outerjoin(latency, latency.c.endpoint_id == counts.c.endpoint_id))
        .order_by(counts.c.endpoint_id)
    )
    return [EndpointStats(**row._asdict()) for row in await conn.execute(stmt)]
