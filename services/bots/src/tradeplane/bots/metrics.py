"""Prometheus metrics of the bots service (served on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RUNS = Counter("tp_bots_runs", "Strategy runs committed (one event of one bot)")
ORDERS = Counter(
    "tp_bots_orders", "Orders the bots decided, by fate (sent, dry_run, held: paused or halted)", ["fate"]
)
ERRORS = Counter("tp_bots_errors", "Bots put in Error because their strategy raised")
ACTIVE = Gauge("tp_bots_active", "Bots running or paused in this process")
