"""How endpoints, deliveries and statistics look in query replies: camelCase, decimals as strings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from .adapters.endpoints import Endpoint
from .adapters.history import Attempt, Delivery, EndpointStats
from .domain.outcome import success_rate
from .domain.payloads import iso_utc


def _time(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment is not None else None


def _decimal(value: Decimal | None) -> str | None:
    return format(value, "f") if value is not None else None


def endpoint(item: Endpoint) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "url": item.url,
        "events": list(item.events),
        "enabled": item.enabled,
        "disabledReason": item.disabled_reason,
        "consecutiveFailures": item.consecutive_failures,
        "createdAt": _time(item.created_at),
        "updatedAt": _time(item.updated_at),
    }


def attempt(item: Attempt) -> dict[str, Any]:
    return {
        "attempt": item.attempt,
        "ok": item.ok,
        "responseCode": item.status_code,
        "latencyMs": item.latency_ms,
        "failure": item.failure,
        "error": item.error,
        "attemptedAt": _time(item.attempted_at),
    }


def delivery(item: Delivery) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "endpointId": str(item.endpoint_id),
        "eventId": str(item.event_id),
        "type": item.event_type,
        "webhookId": item.webhook_id,
        "status": item.status,
        "attempts": item.attempts,
        "responseCode": item.last_status_code,
        "latencyMs": item.last_latency_ms,
        "error": item.last_error,
        "nextAttemptAt": _time(item.next_attempt_at) if item.status == "pending" else None,
        "createdAt": _time(item.created_at),
        "completedAt": _time(item.completed_at),
        "attemptLog": [attempt(a) for a in item.attempt_log],
    }


def _average(total_ms: int, count: int) -> str | None:
    return _decimal((Decimal(total_ms) / Decimal(count)).quantize(Decimal("0.1"))) if count else None


def _figures(total: int, succeeded: int, failed: int, pending: int, attempts: int, ms: int) -> dict[str, Any]:
    return {
        "total": total,
        "succeeded": succeeded,
        "failed": failed,
        "pending": pending,
        "successRate": _decimal(success_rate(succeeded, failed)),
        "averageLatencyMs": _average(ms, attempts),
    }


def stats(rows: Sequence[EndpointStats]) -> dict[str, Any]:
    """Totals over the user's endpoints, then the same figures per endpoint."""
    overall = _figures(
        sum(r.total for r in rows),
        sum(r.succeeded for r in rows),
        sum(r.failed for r in rows),
        sum(r.pending for r in rows),
        sum(r.attempts for r in rows),
        sum(r.latency_ms_sum for r in rows),
    )
    per_endpoint = [
        {"id": str(r.endpoint_id), "url": r.url, "enabled": r.enabled}
        | {"consecutiveFailures": r.consecutive_failures}
        | _figures(r.total, r.succeeded, r.failed, r.pending, r.attempts, r.latency_ms_sum)
        for r in rows
    ]
    return overall | {"endpoints": per_endpoint}
