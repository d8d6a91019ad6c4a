"""`make bench`: latency and throughput of the real stack, printed (never asserted).

Starts its own nats-server and PostgreSQL (fsync on) and every service (3 execution processes),
then measures, in one run:
- raw nats-py round trips (core request/reply, JetStream publish → ack) as the yardstick;
- REST order → accepted by the paper venue, p50/p99, one order at a time;
- orders/s end to end with 200 users submitting at once, gateway read latency meanwhile, and the
  CPU time per order of each service (its processes and their children, from /proc);
- scaling: p99 and orders/s with 10, 100 and 1,000 users each placing orders one at a time;
- kill switch: activate → last executor ack, with 1,000 active accounts, 100 of them (drawn anew each
  round) holding a resting order;
- 1,000 running bots on one bots process: candle published → order requested, and its CPU share;
- PnL booking of 1,000,000 fills (fills/s, peak memory);
- a backtest of a year of 1-minute candles through the grid strategy (candles/s, no services);
- the dashboard in headless Chromium: first load, and an order event from the bus to the browser.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from tradeplane.cli.postgres import EmbeddedPostgres
from tradeplane.cli.probe import free_port

from tests.bench import bench_backtest, bench_bots, bench_dashboard, bench_pnl
from tests.bench.scenarios import run_all
from tests.support.servers import ANONYMOUS_RELAXED, Stack


def main() -> None:
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory(prefix="tp-bench-") as tmp:
        work = Path(tmp)
        postgres = EmbeddedPostgres(work / "pg", port=free_port(), log_path=work / "pg.log", durable=True)
        if not os.environ.get("TP_DATABASE_URL"):
            postgres.start()
        server_url = os.environ.get("TP_DATABASE_URL") or postgres.url()
        stack = Stack(
            work / "stack", postgres_server_url=server_url, shared_nats_url=os.environ.get("TP_NATS_URL")
        )
        try:
            started = time.perf_counter()
            env = {"TP_LOG_LEVEL": "WARNING", "TP_FEED_INTERVAL_SECONDS": "1", "TP_HTTP_WORKERS": "2"}
            # the seeds' per-user limits stay; run_all lifts its load users' (anonymous sign-ups unlimited)
            stack.start(executors=3, env=env, timeout=120, rate_limits=ANONYMOUS_RELAXED)
            print(
                f"stack ready in {time.perf_counter() - started:.1f} s"
                " (3 execution processes, 2 gateway workers)"
            )
            own_postgres = postgres.process.pid if postgres.process is not None else None
            asyncio.run(run_all(stack, quick=quick, postgres_pid=own_postgres))
            asyncio.run(bench_bots.run(stack, quick=quick))
        finally:
            stack.stop()
        try:  # its own small stack: pnl quick to snapshot the new account, so the overview has a chart
            dashboard = Stack(
                work / "dash", postgres_server_url=server_url, shared_nats_url=os.environ.get("TP_NATS_URL")
            )
            bench_dashboard.run(dashboard, quick=quick)
        finally:
            if not os.environ.get("TP_DATABASE_URL"):
                postgres.stop()
    bench_pnl.main(["--fills", "100000" if quick else "1000000"])
    bench_backtest.main(["--days", "30" if quick else "365"])


if __name__ == "__main__":
    main()
