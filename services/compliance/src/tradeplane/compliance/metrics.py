"""Prometheus metrics of the compliance service (served on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter

ALERTS = Counter("tp_compliance_alerts", "Alerts raised, by category and severity", ["category", "severity"])
VIOLATIONS = Counter("tp_compliance_violations", "Compliance violations recorded, by type", ["type"])
RECONCILIATIONS = Counter(
    "tp_compliance_reconciliations",
    "Accounts reconciled, by outcome (Matched, Mismatch, Unavailable)",
    ["status"],
)
PRUNED = Counter("tp_compliance_orders_pruned", "Watched orders forgotten once closed long enough")
