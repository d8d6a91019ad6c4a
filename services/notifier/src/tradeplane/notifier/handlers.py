"""Bus consumers: each platform event becomes one pending delivery per subscribed endpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
from tradeplane.contracts.alerts import AlertRaised
from tradeplane.contracts.streams import StreamSpec
from tradeplane.runtime import Runtime, Subscription, subscribe

from .adapters.fan_out import FanOutStore, SqlFanOut
from .domain.payloads import to_payload

SERVICE = "notifier"


@dataclass(frozen=True, slots=True)
class Notified:
    """An event the notifier turns into webhooks, and the consumer that hears it."""

    model: type[Message]
    subject: str
    stream: StreamSpec
    durable: str


SUBSCRIPTIONS: tuple[Notified, ...] = (
    Notified(FillBooked, subjects.ALL_FILLS_BOOKED, streams.PNL, "notifier-fill-booked"),
    Notified(OrderRejected, subjects.ALL_ORDER_REJECTED, streams.ORDERS, "notifier-order-rejected"),
    Notified(OrderCanceled, subjects.ALL_ORDER_CANCELED, streams.ORDERS, "notifier-order-canceled"),
    Notified(TradeClosed, subjects.ALL_TRADES_CLOSED, streams.PNL, "notifier-trade-closed"),
    Notified(VenueError, subjects.ALL_VENUE_ERRORS, streams.VENUE, "notifier-venue-error"),
    Notified(UserDisabled, subjects.ALL_USER_DISABLED, streams.VENUE, "notifier-user-disabled"),
    Notified(RiskStateChanged, subjects.ALL_RISK_STATE, streams.RISK, "notifier-risk-state"),
    Notified(HaltEngaged, subjects.ALL_HALTS_ENGAGED, streams.HALTS, "notifier-halt-engaged"),
    Notified(HaltReleased, subjects.ALL_HALTS_RELEASED, streams.HALTS, "notifier-halt-released"),
    Notified(AlertRaised, subjects.ALL_ALERTS, streams.RISK, "notifier-alert"),
)


def recipient(message: Message) -> UUID | None:
    """Whose endpoints hear of `message`: its user's, or everyone's for a global halt (no user)."""
    user_id: UUID | None = getattr(message, "user_id", None)
    return user_id


async def fan_out(store: FanOutStore, consumer_name: str, message: Message) -> bool:
    """Queue the event for its subscribers, once, in the transaction that claims it; True if queued."""
    payload = to_payload(message)
    if payload is None:
        return False
    queued = await store.queue_once(consumer_name, message.meta.event_id, payload, recipient(message))
    return bool(queued)


def subscriptions(store: FanOutStore, wake: Callable[[], None]) -> tuple[Subscription[Message], ...]:
    """A durable consumer per notified event; replicas share each one's work through a deliver group."""

    def handler(durable: str) -> Callable[[Message], Awaitable[None]]:
        async def handle(message: Message) -> None:
            if await fan_out(store, durable, message):
                wake()

        return handle

    return tuple(
        Subscription(n.model, n.subject, n.stream, n.durable, handler(n.durable), max_workers=4)
        for n in SUBSCRIPTIONS
    )


def router(rt: Runtime, wake: Callable[[], None]) -> NatsRouter:
    return subscribe(lambda: rt.broker, SERVICE, subscriptions(SqlFanOut(rt.outbox, rt.inbox), wake))
