"""SQL for the durable delivery queue: enqueue, claim under a lease, record attempts, release."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.outcome import DeliveryStatus, Outcome
from ..domain.payloads import WebhookPayload, webhook_id
from .endpoints import Target
from .sender import DeliveryResult, encode_body
from .tables import SCHEMA, delivery_attempts
from .tables import deliveries as d
from .tables import endpoints as e


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker holds the lease on, with what it needs to send it."""

    id: UUID
    endpoint_id: UUID
    user_id: UUID
    event_type: str
    webhook_id: str
    body: str
    attempts: int
    url: str
    enabled: bool
    secret_sealed: bytes


async def enqueue(conn: AsyncConnection, targets: Sequence[Target], payload: WebhookPayload) -> list[UUID]:
    """One pending delivery per target; an event already queued for an endpoint is not queued again."""
    if not targets:
        return []
    body = encode_body(payload.body())
    rows = [
        {
            "id": uuid4(),
            "endpoint_id": target.id,
            "user_id": target.user_id,
            "event_id": payload.event_id,
            "event_type": payload.type.value,
            "webhook_id": webhook_id(target.id, payload.event_id),
            "body": body,
        }
        for target in targets
    ]
    stmt = (
        insert(d)
        .values(rows)
        .on_conflict_do_nothing(constraint="uq_deliveries_endpoint_event")
        .returning(d.c.id)
    )
    return list((await conn.execute(stmt)).scalars())


# Per endpoint, at most `per_endpoint` leased deliveries at once (counting other workers' leases),
# so an endpoint that hangs holds a bounded number of slots and cannot starve the others.
_CANDIDATES = text(f"""
SELECT x.id
FROM "{SCHEMA}".endpoints e
CROSS JOIN LATERAL (
    SELECT count(*) AS busy FROM "{SCHEMA}".deliveries l
    WHERE l.endpoint_id = e.id AND l.status = 'pending' AND l.lease_until > now()
) b
CROSS JOIN LATERAL (
    SELECT d.id, d.next_attempt_at FROM "{SCHEMA}".deliveries d
    WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.next_attempt_at <= now()
      AND (d.lease_until IS NULL OR d.lease_until <= now())
    ORDER BY d.next_attempt_at, d.seq
    LIMIT greatest(:per_endpoint - b.busy, 0)
) x
ORDER BY x.next_attempt_at
LIMIT :limit
""")  # noqa: S608 - the schema is a constant, every value is bound

_CLAIMED = (
    d.c.id, d.c.endpoint_id, d.c.user_id, d.c.event_type, d.c.webhook_id, d.c.body, d.c.attempts,
    e.c.url, e.c.enabled, e.c.secret_sealed,
)  # fmt: skip


def _free() -> ColumnElement[bool]:
    return and_(
        d.c.status == DeliveryStatus.PENDING.value,
        or_(d.c.lease_until.is_(None), d.c.lease_until <= func.now()),
    )


async def claim(
    conn: AsyncConnection, owner: str, *, limit: int, per_endpoint: int, lease_seconds: float
) -> list[Claimed]:
    """Lease up to `limit` due deliveries to `owner`; a lease that runs out frees the delivery again.

    Candidates are chosen without locks, then only those still free are locked with SKIP LOCKED
    and leased, so concurrent workers never wait on each other nor lease the same delivery.
    """
    if limit <= 0:
        return []
    params = {"per_endpoint": per_endpoint, "limit": limit}
    ids = [row.id for row in await conn.execute(_CANDIDATES, params)]
    if not ids:
        return []
    lockable = select(d.c.id).where(d.c.id.in_(ids), _free()).with_for_update(skip_locked=True)
    stmt = (
        update(d)
        .where(d.c.id.in_(lockable.scalar_subquery()), d.c.endpoint_id == e.c.id)
        .values(lease_until=func.now() + timedelta(seconds=lease_seconds), lease_owner=owner)
        .returning(*_CLAIMED)
    )
    return [Claimed(**row._asdict()) for row in await conn.execute(stmt)]


async def add_attempt(
    conn: AsyncConnection, delivery_id: UUID, attempt: int, result: DeliveryResult, worker: str
) -> None:
    await conn.execute(
        delivery_attempts.insert().values(
            delivery_id=delivery_id,
            attempt=attempt,
            ok=result.ok,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            failure=result.failure.value if result.failure else None,
            error=result.error,
            worker=worker,
        )
    )


async def settle(
    conn: AsyncConnection, claimed: Claimed, owner: str, result: DeliveryResult, outcome: Outcome
) -> bool:
    """Store the attempt's effect and free the lease; False when the lease was lost meanwhile."""
    values: dict[str, object] = {
        "status": outcome.status.value,
        "attempts": d.c.attempts + 1,
        "last_status_code": result.status_code,
        "last_latency_ms": result.latency_ms,
        "last_error": result.error,
        "lease_until": None,
        "lease_owner": None,
    }
    if outcome.status is DeliveryStatus.PENDING:
        values["next_attempt_at"] = func.now() + timedelta(seconds=outcome.retry_in or 0.0)
    else:
        values["completed_at"] = func.now()
    stmt = (
        update(d)
        .where(d.c.id == claimed.id, d.c.lease_owner == owner, d.c.status == DeliveryStatus.PENDING.value)
        .values(**values)
        .returning(d.c.id)
    )
    return (await conn.execute(stmt)).first() is not None


async def abandon(conn: AsyncConnection, claimed: Claimed, owner: str, reason: str) -> None:
    """Fail a delivery without sending it (its endpoint was switched off after it was queued)."""
    await conn.execute(
        update(d)
        .where(d.c.id == claimed.id, d.c.lease_owner == owner, d.c.status == DeliveryStatus.PENDING.value)
        .values(
            status=DeliveryStatus.FAILED.value,
            last_error=reason,
            lease_until=None,
            lease_owner=None,
            completed_at=func.now(),
        )
    )


async def release(conn: AsyncConnection, owner: str, ids: Sequence[UUID] | None = None) -> int:
    """Give up `owner`'s leases (all of them, or `ids`) so any worker may take them now."""
    stmt = update(d).where(d.c.lease_owner == owner, d.c.status == DeliveryStatus.PENDING.value)
    if ids is not None:
        stmt = stmt.where(d.c.id.in_(list(ids)))
    result = await conn.execute(stmt.values(lease_until=None, lease_owner=None))
    return result.rowcount


async def purge(conn: AsyncConnection, older_than_days: int) -> int:
    """Delete settled deliveries (and their attempts) completed more than `older_than_days` ago."""
    cutoff = func.now() - timedelta(days=older_than_days)
    stmt = delete(d).where(d.c.status != DeliveryStatus.PENDING.value, d.c.completed_at < cutoff)
    return (await conn.execute(stmt)).rowcount
