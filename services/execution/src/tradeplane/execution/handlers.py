"""Bus consumers of the executor: approvals and cancels of its partitions, tickers, halts, user state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from faststream.nats import NatsBroker, NatsRouter
from tradeplane.contracts import (
    CancelOrder,
    HaltEngaged,
    HaltReleased,
    OrderApproved,
    Ticker,
    UserDisabled,
    UserEnabled,
    streams,
    subjects,
)
from tradeplane.runtime import consumer

from .executor import Executor
from .outcomes import PRODUCER

REDELIVER_AFTER = timedelta(seconds=10)
"""How soon JetStream redelivers an unacknowledged approval, e.g. one held by an executor that died.
A redelivery that overtakes a slow first attempt is harmless: it queues behind it in the account's
mailbox and then finds the order already past sending."""


def router(executor: Executor, broker: Callable[[], NatsBroker]) -> NatsRouter:
    routes = NatsRouter()
    for partition in sorted(executor.owned):
        _partition_consumers(routes, executor, broker, partition)
    _fan_out_consumers(routes, executor, broker)

    @routes.subscriber(subjects.heartbeat("risk"), include_in_schema=False)
    async def on_risk_heartbeat() -> None:
        executor.halts.heartbeat()

    return routes


def _partition_consumers(
    routes: NatsRouter, executor: Executor, broker: Callable[[], NatsBroker], partition: int
) -> None:
    workers = executor.settings.executor_max_workers

    @consumer(
        routes,
        broker,
        OrderApproved,
        subject=subjects.approved_for_partition(partition),
        durable=f"execution-approved-p{partition}",
        queue=f"execution-approved-p{partition}",
        stream=streams.ORDERS,
        producer=PRODUCER,
        max_workers=workers,
        ack_wait=REDELIVER_AFTER,
    )
    async def on_approved(msg: OrderApproved) -> None:
        await executor.on_approved(msg)

    @consumer(
        routes,
        broker,
        CancelOrder,
        subject=subjects.cancel_for_partition(partition),
        durable=f"execution-cancel-p{partition}",
        queue=f"execution-cancel-p{partition}",
        stream=streams.ORDERS,
        producer=PRODUCER,
        max_workers=workers,
        ack_wait=REDELIVER_AFTER,
    )
    async def on_cancel(cmd: CancelOrder) -> None:
        await executor.on_cancel(cmd)


def _fan_out_consumers(routes: NatsRouter, executor: Executor, broker: Callable[[], NatsBroker]) -> None:
    @consumer(
        routes,
        broker,
        Ticker,
        subject=subjects.ALL_TICKERS,
        durable=None,
        stream=streams.MARKET,
        producer=PRODUCER,
        deliver_new=True,
    )
    async def on_ticker(ticker: Ticker) -> None:
        executor.on_ticker(ticker)

    @consumer(
        routes,
        broker,
        HaltEngaged,
        subject=f"{subjects.PREFIX}.halt.engaged.>",
        durable=None,
        stream=streams.HALTS,
        producer=PRODUCER,
        deliver_new=True,
    )
    async def on_halt(halt: HaltEngaged) -> None:
        await executor.on_halt(halt)

    @consumer(
        routes,
        broker,
        HaltReleased,
        subject=f"{subjects.PREFIX}.halt.released.>",
        durable=None,
        stream=streams.HALTS,
        producer=PRODUCER,
        deliver_new=True,
    )
    async def on_release(released: HaltReleased) -> None:
        executor.on_release(released)

    # Replayed from the start of the stream, so the disabled users survive a restart; the two
    # consumers replay independently, so each change carries its time and the newer one wins.
    @consumer(
        routes,
        broker,
        UserDisabled,
        subject=f"{subjects.PREFIX}.user.disabled.*",
        durable=None,
        stream=streams.VENUE,
        producer=PRODUCER,
    )
    async def on_disabled(event: UserDisabled) -> None:
        executor.halts.disable(event.user_id, event.meta.occurred_at)

    @consumer(
        routes,
        broker,
        UserEnabled,
        subject=f"{subjects.PREFIX}.user.enabled.*",
        durable=None,
        stream=streams.VENUE,
        producer=PRODUCER,
    )
    async def on_enabled(event: UserEnabled) -> None:
        executor.halts.enable(event.user_id, event.meta.occurred_at)
