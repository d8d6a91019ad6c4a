"""What turning an event into deliveries persists, as one small interface: the SQL implementation lives
here, an in-memory one in the unit tests."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from tradeplane.runtime import Outbox
from tradeplane.runtime.inbox import Inbox

from ..domain.payloads import WebhookPayload
from . import deliveries, endpoints


class FanOutStore(Protocol):
    async def queue_once(
        self, consumer: str, event_id: UUID, payload: WebhookPayload, user_id: UUID | None
    ) -> int:
        """In one transaction: claim the event for `consumer` (nothing more when it was claimed before),
        then queue `payload` for every enabled endpoint subscribed to its type, the user's or everyone's
        when `user_id` is None. How many deliveries were queued."""
        ...


class SqlFanOut:
    def __init__(self, outbox: Outbox, inbox: Inbox) -> None:
        self._outbox = outbox
        self._inbox = inbox

    async def queue_once(
        self, consumer: str, event_id: UUID, payload: WebhookPayload, user_id: UUID | None
    ) -> int:
        async with self._outbox.transaction() as tx:
            if not await self._inbox.claim(tx.conn, consumer, event_id):
                return 0
            targets = await endpoints.subscribed(tx.conn, payload.type.value, user_id)
            return len(await deliveries.enqueue(tx.conn, targets, payload))
