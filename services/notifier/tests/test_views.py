"""Query replies: camelCase keys, decimals as strings, statistics summed over endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from tradeplane.notifier import views
from tradeplane.notifier.adapters.history import Attempt, Delivery, EndpointStats

AT = datetime(2026, 1, 17, 22, 0, tzinfo=UTC)


def stats_row(succeeded: int, failed: int, pending: int, attempts: int, latency_ms_sum: int) -> EndpointStats:
    return EndpointStats(
        endpoint_id=uuid4(), url="https://x.example/h", enabled=True, consecutive_failures=0,
        total=succeeded + failed + pending, succeeded=succeeded, failed=failed, pending=pending,
        attempts=attempts, latency_ms_sum=latency_ms_sum,
    )  # fmt: skip


def test_stats_sum_counts_and_weigh_latency_by_attempts() -> None:
    rows = [stats_row(3, 1, 0, 5, 500), stats_row(0, 0, 2, 5, 1500)]

    summary = views.stats(rows)

    assert (summary["total"], summary["succeeded"], summary["failed"], summary["pending"]) == (6, 3, 1, 2)
    assert (summary["successRate"], summary["averageLatencyMs"]) == ("0.7500", "200.0")


def test_stats_of_an_endpoint_without_deliveries_have_no_rate_or_latency() -> None:
    [endpoint] = views.stats([stats_row(0, 0, 0, 0, 0)])["endpoints"]

    assert (endpoint["successRate"], endpoint["averageLatencyMs"]) == (None, None)


def test_delivery_view_lists_attempts_and_hides_next_attempt_once_settled() -> None:
    attempt = Attempt(1, True, 200, 35, None, None, AT)
    item = Delivery(
        id=uuid4(), endpoint_id=uuid4(), event_id=uuid4(), event_type="trade_exit", webhook_id="msg_1",
        status="succeeded", attempts=1, next_attempt_at=AT, last_status_code=200, last_latency_ms=35,
        last_error=None, created_at=AT, completed_at=AT, attempt_log=(attempt,),
    )  # fmt: skip

    view = views.delivery(item)

    assert (view["responseCode"], view["nextAttemptAt"], view["completedAt"]) == (
        200,
        None,
        "2026-01-17T22:00:00Z",
    )
    assert view["attemptLog"] == [
        {"attempt": 1, "ok": True, "responseCode": 200, "latencyMs": 35, "failure": None, "error": None,
         "attemptedAt": "2026-01-17T22:00:00Z"},
    ]  # fmt: skip
