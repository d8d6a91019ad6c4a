"""Prometheus metrics of the risk service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DECISIONS = Counter("tp_risk_decisions_total", "Order requests decided", ["outcome"])
DUPLICATES = Counter(
    "tp_risk_duplicate_orders_total", "Order requests for an order already decided (redeliveries, resends)"
)
REJECTIONS = Counter("tp_risk_rejections_total", "Order requests rejected, by reject code", ["code"])
DECISION_SECONDS = Histogram(
    "tp_risk_decision_seconds",
    "Time to decide on one order request (lock, checks, store, publish)",
    buckets=(0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1.0),
)
KILL_SWITCHES = Gauge("tp_risk_kill_switches_engaged", "Kill switches engaged now, by scope", ["scope"])
USERS_HALTED = Gauge("tp_risk_users_halted", "Users whose trading state is Halted (timed halts)")
USERS_DISABLED = Counter("tp_risk_users_disabled_total", "Users auto-disabled after repeated venue errors")
