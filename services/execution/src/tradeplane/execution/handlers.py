"""Bus consumers of the executor: approvals and cancels of its partitions, tickers, halts, user state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from faststream.nats import NatsBroker, NatsRouter
from tradeplane.contracts import (
    CancelOrder,
    HaltEngaged,
    HaltReleased,
    Message,
    OrderApproved,
    Ticker,
    UserDisabled,
    UserEnabled,
    streams,
    subjects,
)
from tradeplane.contracts.streams import StreamSpec
from tradeplane.runtime import Subscription, subscribe

from .executor import Executor
from .outcomes import PRODUCER

M = TypeVar("M", bound=Message)

REDELIVER_AFTER = timedelta(seconds=10)
"""How soon JetStream redelivers an unacknowledged approval, e.g. one held by an executor that died.
A redelivery that overtakes a slow first attempt is harmless: it queues behind it in the account's
mailbox and then finds the order already past sending."""


def router(executor: Executor, broker: Callable[[], NatsBroker]) -> NatsRouter:
    routes = subscribe(broker, PRODUCER, subscriptions(executor))

    @routes.subscriber(subjects.heartbeat("risk"), include_in_schema=False)
    async def on_risk_heartbeat() -> None:
        executor.halts.heartbeat()

    return routes


def subscriptions(executor: Executor) -> tuple[Subscription[Any], ...]:
    partitions = [sub for p in sorted(executor.owned) for sub in _partition_subscriptions(executor, p)]
    return (*partitions, *_fan_out_subscriptions(executor))


def _partition_subscriptions(executor: Executor, partition: int) -> tuple[Subscription[Any], ...]:
    """Approvals and cancels of one partition, shared by whichever process owns it."""
    workers = executor.settings.executor_max_workers
    return (
        Subscription(
            OrderApproved,
            subjects.approved_for_partition(partition),
            streams.ORDERS,
            f"execution-approved-p{partition}",
            executor.on_approved,
            max_workers=workers,
            ack_wait=REDELIVER_AFTER,
        ),
        Subscription(
            CancelOrder,
            subjects.cancel_for_partition(partition),
            streams.ORDERS,
            f"execution-cancel-p{partition}",
            executor.on_cancel,
            max_workers=workers,
            ack_wait=REDELIVER_AFTER,
        ),
    )


def _fan_out_subscriptions(executor: Executor) -> tuple[Subscription[Any], ...]:
    """What every executor hears for itself: tickers, halts, and users disabled or enabled."""

    async def on_ticker(ticker: Ticker) -> None:
        executor.on_ticker(ticker)

    async def on_release(released: HaltReleased) -> None:
        executor.on_release(released)

    async def on_disabled(event: UserDisabled) -> None:
        executor.halts.disable(event.user_id, event.meta.occurred_at)

    async def on_enabled(event: UserEnabled) -> None:
        executor.halts.enable(event.user_id, event.meta.occurred_at)

    # User changes are replayed from the start of the stream, so the disabled users survive a restart;
    # the two consumers replay independently, so each change carries its time and the newer one wins.
    return (
        _own(Ticker, subjects.ALL_TICKERS, streams.MARKET, on_ticker, deliver_new=True),
        _own(HaltEngaged, subjects.ALL_HALTS_ENGAGED, streams.HALTS, executor.on_halt, deliver_new=True),
        _own(HaltReleased, subjects.ALL_HALTS_RELEASED, streams.HALTS, on_release, deliver_new=True),
        _own(UserDisabled, subjects.ALL_USER_DISABLED, streams.VENUE, on_disabled, deliver_new=False),
        _own(UserEnabled, subjects.ALL_USER_ENABLED, streams.VENUE, on_enabled, deliver_new=False),
    )


def _own(
    model: type[M],
    subject: str,
    stream: StreamSpec,
    handle: Callable[[M], Awaitable[None]],
    *,
    deliver_new: bool,
) -> Subscription[M]:
    """A consumer of this process alone: every executor hears every message."""
    return Subscription(model, subject, stream, None, handle, shared=False, deliver_new=deliver_new)
