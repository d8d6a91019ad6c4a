"""Prometheus metrics of the bots service (served on /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RUNS = Counter("tp_bots_runs", "Strategy runs committed (one event of one bot)")
ORDERS = Counter(
    "tp_bots_orders", "Orders the bots decided, by fate (sent, dry_run, held: paused or halted)", ["fate"]
)
ERRORS = Counter("tp_bots_errors", "Bots put in Error because their strategy raised")
ACTIVE = Gauge("tp_bots_active", "Bots running or paused in this process")
CANDLE_SECONDS = Histogram(
    "tp_bots_candle_seconds",
    "A closed candle in the bots process: its bots run and their changes committed (orders published)",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
