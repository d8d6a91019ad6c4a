"""Payloads of the notifier's own messages: a test ping and "your endpoint was switched off"."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from .payloads import NoticeType, WebhookPayload


def ping(event_id: UUID, user_id: UUID, endpoint_id: UUID, at: datetime) -> WebhookPayload:
    data = {
        "event_id": str(event_id),
        "user_id": str(user_id),
        "symbol": None,
        "endpoint_id": str(endpoint_id),
        "message": "Test delivery from Tradeplane",
    }
    return WebhookPayload(type=NoticeType.TEST, event_id=event_id, timestamp=at, data=data)


def endpoint_disabled(
    event_id: UUID, user_id: UUID, endpoint_id: UUID, url: str, failures: int, at: datetime
) -> WebhookPayload:
    """Sent to a user's other endpoints when one of theirs failed `failures` deliveries in a row."""
    data = {
        "event_id": str(event_id),
        "user_id": str(user_id),
        "symbol": None,
        "endpoint_id": str(endpoint_id),
        "url": url,
        "consecutive_failures": failures,
        "reason": f"disabled after {failures} failed deliveries in a row",
    }
    return WebhookPayload(type=NoticeType.ENDPOINT_DISABLED, event_id=event_id, timestamp=at, data=data)
