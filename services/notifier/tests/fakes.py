"""A fake at the notifier's store seam: endpoints, claimed events and queued deliveries in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID, uuid4

from tradeplane.notifier.domain.payloads import EventType, WebhookPayload


@dataclass(frozen=True, slots=True)
class FakeEndpoint:
    id: UUID
    user_id: UUID
    events: frozenset[str]
    enabled: bool = True


@dataclass
class FakeFanOut:
    endpoints: list[FakeEndpoint] = field(default_factory=list)
    claimed: set[tuple[str, UUID]] = field(default_factory=set)
    queued: list[tuple[UUID, WebhookPayload]] = field(default_factory=list)
    """(endpoint id, payload) of every delivery queued, in order."""

    def endpoint(self, user_id: UUID, *events: EventType, enabled: bool = True) -> UUID:
        endpoint = FakeEndpoint(uuid4(), user_id, frozenset(events), enabled)
        self.endpoints.append(endpoint)
        return endpoint.id

    async def queue_once(
        self, consumer: str, event_id: UUID, payload: WebhookPayload, user_id: UUID | None
    ) -> int:
        if (consumer, event_id) in self.claimed:
            return 0
        self.claimed.add((consumer, event_id))
        targets = [
            e.id
            for e in self.endpoints
            if e.enabled and payload.type.value in e.events and user_id in (None, e.user_id)
        ]
        queued = [(target, payload) for target in targets if (target, payload) not in self.queued]
        self.queued += queued
        return len(queued)
