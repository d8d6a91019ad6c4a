"""Prometheus metrics of the executor (served on /metrics by the runtime)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ORDERS = Counter("tp_execution_orders_total", "Orders reaching a status, by status", ["status"])
VENUE_CALLS = Histogram(
    "tp_execution_venue_call_seconds",
    "Duration of venue calls",
    ["venue", "call"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
VENUE_ERRORS = Counter("tp_execution_venue_errors_total", "Failed venue calls, by category", ["category"])
NONCE_ERRORS = Counter("tp_execution_nonce_errors_total", "Venue calls refused for their nonce")
HALTED = Gauge("tp_execution_halted", "1 while this executor refuses every order (global halt or dead-man)")
ACTORS = Gauge("tp_execution_account_actors", "Account actors running in this executor")
