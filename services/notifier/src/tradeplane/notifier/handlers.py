"""Bus consumers: each platform event becomes one pending delivery per subscribed endpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from faststream.nats import NatsRouter
from tradeplane.contracts import (
    FillBooked,
    HaltEngaged,
    HaltReleased,
    Message,
    OrderCanceled,
    OrderRejected,
    RiskStateChanged,
    TradeClosed,
    UserDisabled,
    VenueError,
    streams,
    subjects,
)
from tradeplane.contracts.streams import StreamSpec
from tradeplane.contracts.subjects import PREFIX
from tradeplane.notifier.adapters import deliveries, endpoints
from tradeplane.notifier.domain.payloads import to_payload
from tradeplane.runtime import Runtime, consumer

SERVICE = "notifier"


@dataclass(frozen=True, slots=True)
class Subscription:
    model: type[Message]
    subject: str
    stream: StreamSpec
    durable: str


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription(FillBooked, subjects.ALL_FILLS_BOOKED, streams.PNL, "notifier-fill-booked"),
    Subscription(OrderRejected, f"{PREFIX}.order.rejected.>", streams.ORDERS, "notifier-order-rejected"),
    Subscription(OrderCanceled, f"{PREFIX}.order.canceled.>", streams.ORDERS, "notifier-order-canceled"),
    Subscription(TradeClosed, f"{PREFIX}.trade.closed.>", streams.PNL, "notifier-trade-closed"),
    Subscription(VenueError, f"{PREFIX}.venue.error.>", streams.VENUE, "notifier-venue-error"),
    Subscription(UserDisabled, f"{PREFIX}.user.disabled.>", streams.VENUE, "notifier-user-disabled"),
    Subscription(RiskStateChanged, f"{PREFIX}.risk.state.>", streams.RISK, "notifier-risk-state"),
    Subscription(HaltEngaged, f"{PREFIX}.halt.engaged.>", streams.HALTS, "notifier-halt-engaged"),
    Subscription(HaltReleased, f"{PREFIX}.halt.released.>", streams.HALTS, "notifier-halt-released"),
)


def recipient(message: Message) -> UUID | None:
    """Whose endpoints hear of `message`: its user's, or everyone's for a global halt (no user)."""
    user_id: UUID | None = getattr(message, "user_id", None)
    return user_id


async def fan_out(rt: Runtime, consumer_name: str, message: Message) -> bool:
    """Queue the event for its subscribers, once, in the transaction that claims it; True if queued."""
    payload = to_payload(message)
    if payload is None:
        return False
    async with rt.outbox.transaction() as tx:
        if not await rt.inbox.claim(tx.conn, consumer_name, message.meta.event_id):
            return False
        targets = await endpoints.subscribed(tx.conn, payload.type.value, recipient(message))
        queued = await deliveries.enqueue(tx.conn, targets, payload)
    return bool(queued)


def router(rt: Runtime, wake: Callable[[], None]) -> NatsRouter:
    """A durable consumer per subscription; replicas share each one's work through a deliver group.

    nats-py binds a queue subscription only to the durable of the same name, so each consumer's
    queue group is named after its durable.
    """
    bus = NatsRouter()
    for sub in SUBSCRIPTIONS:

        async def handle(message: Message, sub: Subscription = sub) -> None:
            if await fan_out(rt, sub.durable, message):
                wake()

        consumer(
            bus,
            lambda: rt.broker,
            sub.model,
            subject=sub.subject,
            durable=sub.durable,
            stream=sub.stream,
            producer=SERVICE,
            queue=sub.durable,
            max_workers=4,
        )(handle)
    return bus
