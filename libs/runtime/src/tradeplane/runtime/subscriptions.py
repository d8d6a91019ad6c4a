"""A service's bus consumers as one table: each row a message type, its subject and its handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from faststream.nats import NatsBroker, NatsRouter
from tradeplane.contracts import Message
from tradeplane.contracts.streams import StreamSpec

from .bus import consumer

M = TypeVar("M", bound=Message)


@dataclass(frozen=True, slots=True)
class Subscription(Generic[M]):
    """One durable JetStream consumer (see `bus.consumer` for what each setting means)."""

    model: type[M]
    subject: str
    stream: StreamSpec
    durable: str | None
    """None: a consumer of this process alone (every replica hears every message)."""
    handle: Callable[[M], Awaitable[None]]
    shared: bool = True
    """Replicas share the work through a deliver group named after `durable`."""
    max_workers: int = 1
    deliver_new: bool = False
    ack_wait: timedelta = timedelta(seconds=10)


def subscribe(
    broker: Callable[[], NatsBroker], producer: str, table: Iterable[Subscription[Any]]
) -> NatsRouter:
    """A router with one consumer per row of `table`."""
    router = NatsRouter()
    for sub in table:
        consumer(
            router,
            broker,
            sub.model,
            subject=sub.subject,
            durable=sub.durable,
            stream=sub.stream,
            producer=producer,
            queue=sub.durable if sub.shared else None,
            max_workers=sub.max_workers,
            ack_wait=sub.ack_wait,
            deliver_new=sub.deliver_new,
        )(sub.handle)
    return router
