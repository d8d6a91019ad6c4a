"""Bus consumers: the order view follows the order lifecycle events, the audit log the audit events."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from faststream.nats import NatsRouter
from sqlalchemy.ext.asyncio import AsyncEngine
from tradeplane.contracts import (
    AuditRecorded,
    OrderAccepted,
    OrderCanceled,
    OrderFailed,
    OrderFilled,
    OrderRejected,
    OrderRequested,
    OrderStatus,
    permissions,
    streams,
    subjects,
)
from tradeplane.runtime import Failure, Runtime, Subscription, TransientError, classify, subscribe

from .adapters import audit_store, order_view
from .domain import projection
from .domain.projection import Progress
from .intake import requested_row
from .metrics import ORDER_SECONDS

SERVICE = "gateway"
E = TypeVar("E", OrderAccepted, OrderFilled, OrderCanceled, OrderRejected, OrderFailed)


class UnknownOrder(TransientError):
    """A lifecycle event for an order the view has not recorded yet; redelivery retries it."""


def _accepted(p: Progress, e: OrderAccepted) -> Progress:
    return projection.accepted(p)


def _filled(p: Progress, e: OrderFilled) -> Progress:
    return projection.filled(p, e.quantity, e.price, e.fee, e.filled_at)


def _canceled(p: Progress, e: OrderCanceled) -> Progress:
    return projection.canceled(p)


def _rejected(p: Progress, e: OrderRejected) -> Progress:
    return projection.rejected(p, e.code, e.reason)


def _failed(p: Progress, e: OrderFailed) -> Progress:
    return projection.failed(p, e.code, e.reason)


def apply_event(
    rt: Runtime, durable: str, step: Callable[[Progress, E], Progress]
) -> Callable[[E], Awaitable[None]]:
    """Apply one lifecycle event to its order, once, in one transaction with the inbox claim."""

    async def handle(event: E) -> None:
        async with rt.engine.begin() as conn:
            claim = rt.inbox.claiming(durable, event.meta.event_id)
            row = await order_view.lock(conn, event.order_id, claim)  # and the claim: one round trip
            if row is None:  # rolled back, the claim with it
                raise UnknownOrder(f"order {event.order_id} is not in the view yet")
            if not row.claimed:
                return
            before = order_view.progress_of(row)
            after = step(before, event)
            if after != before:
                await order_view.save_progress(conn, event.order_id, after)
        if before.status is OrderStatus.PENDING and after.status is not OrderStatus.PENDING:
            _observe_latency(row.created_at, after.status)

    return handle


def _observe_latency(created_at: datetime, status: OrderStatus) -> None:
    # The row's time is the database's; clocks a little apart must not give negative latencies.
    seconds = max((datetime.now(UTC) - created_at).total_seconds(), 0.0)
    ORDER_SECONDS.labels(status.value).observe(seconds)


def _lifecycle(
    rt: Runtime, model: type[E], subject: str, kind: str, step: Callable[[Progress, E], Progress]
) -> Subscription[E]:
    durable = f"gateway-orders-{kind}"
    return Subscription(
        model, subject, streams.ORDERS, durable, apply_event(rt, durable, step), max_workers=8
    )


def subscriptions(rt: Runtime) -> tuple[Subscription[Any], ...]:
    async def on_requested(event: OrderRequested) -> None:
        """Orders placed elsewhere (bots) join the view; the gateway's own are already there."""
        if event.meta.producer == SERVICE:
            return
        async with rt.engine.begin() as conn:
            await order_view.insert_if_new(conn, **requested_row(event))

    return (
        _lifecycle(rt, OrderAccepted, subjects.ALL_ORDER_ACCEPTED, "accepted", _accepted),
        _lifecycle(rt, OrderFilled, subjects.ALL_FILLS, "filled", _filled),
        _lifecycle(rt, OrderCanceled, subjects.ALL_ORDER_CANCELED, "canceled", _canceled),
        _lifecycle(rt, OrderRejected, subjects.ALL_ORDER_REJECTED, "rejected", _rejected),
        _lifecycle(rt, OrderFailed, subjects.ALL_ORDER_FAILED, "failed", _failed),
        Subscription(
            OrderRequested,
            subjects.ALL_ORDER_REQUESTED,
            streams.ORDERS,
            "gateway-orders-requested",
            on_requested,
            max_workers=8,
        ),
        *(_audit_chain(rt, service) for service in permissions.ALL_USERS),
    )


AUDIT_BATCH = 100
"""Most audit entries one transaction appends to a chain (and handlers of a chain's consumer at once)."""


class ChainWriter:
    """Group commit for one audit chain: each handler hands its event over and waits; one task appends
    whatever is waiting (up to `limit`, in order of arrival) in one transaction, then answers every
    handler of that batch, so a message is acked only once its entry is committed. Idle, nothing waits
    on purpose: a lone event is written at once; under load the next batch forms during a write.

    A batch that fails because the database is down fails each of its messages (redelivered, and
    stored once by event id). One that fails for another reason is retried an event at a time, so a
    message the database refuses fails alone and its neighbours are stored."""

    def __init__(self, engine: Callable[[], AsyncEngine], chain: str, limit: int = AUDIT_BATCH) -> None:
        self.engine = engine
        self.chain = chain
        self.limit = limit
        self._waiting: list[tuple[AuditRecorded, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, event: AuditRecorded) -> bool:
        """Once `event` is committed at the end of the chain: True, or False when it was already there."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting(), name=f"audit-chain-{self.chain}")
        return await done

    async def _write_waiting(self) -> None:
        batch: list[tuple[AuditRecorded, asyncio.Future[bool]]] = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.limit], self._waiting[self.limit :]
                await self._write(batch)
        finally:  # cancelled (shutting down): whoever still waits is told, and redelivered
            stopped = TransientError("the audit chain writer stopped")
            for _, done in [*batch, *self._waiting]:
                if not done.done():
                    done.set_exception(stopped)
            self._waiting = []

    async def _write(self, batch: list[tuple[AuditRecorded, asyncio.Future[bool]]]) -> None:
        try:
            async with self.engine().begin() as conn:
                stored = await audit_store.append_batch(conn, self.chain, [event for event, _ in batch])
        except Exception as exc:
            if len(batch) > 1 and classify(exc) is not Failure.TRANSIENT:
                for one in batch:
                    await self._write([one])
                return
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
            return
        for (_, done), new in zip(batch, stored, strict=True):
            if not done.done():
                done.set_result(new)


def _audit_chain(rt: Runtime, service: str) -> Subscription[AuditRecorded]:
    """One consumer per publishing service: the subject (`tp.audit.<service>.>`, which only that
    service's NATS user may publish) names the chain the entry joins, whatever the message claims."""
    writer = ChainWriter(lambda: rt.engine, service)

    async def on_audit(event: AuditRecorded) -> None:
        await writer.append(event)

    return Subscription(
        AuditRecorded,
        subjects.audit_of(service),
        streams.AUDIT,
        f"gateway-audit-{service}",
        on_audit,
        max_workers=AUDIT_BATCH,
    )


def router(rt: Runtime) -> NatsRouter:
    return subscribe(lambda: rt.broker, SERVICE, subscriptions(rt))
