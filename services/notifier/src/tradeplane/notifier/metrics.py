"""Prometheus metrics of the notifier (served on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ATTEMPTS = Counter("tp_notifier_attempts", "Webhook delivery attempts", ["result"])
DELIVERIES = Counter(
    "tp_notifier_deliveries",
    "Webhook deliveries settled, by outcome (succeeded, failed, abandoned)",
    ["outcome"],
)
LATENCY = Histogram("tp_notifier_attempt_seconds", "Webhook attempt latency")
DISABLED = Counter("tp_notifier_endpoints_disabled", "Endpoints switched off after failing in a row")
