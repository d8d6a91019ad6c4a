"""Backtest speed: a year of 1-minute candles (525,600) of BTC/USDT through the grid strategy.

Run: `python -m tests.bench.bench_backtest [--days N]`. No services: the candles come from the seeded
synthetic generator (`synthetic:range:42`), streamed, so the time covers generating and hashing the
data as well as the replay (matching, risk checks, strategy, metrics, result hash). The goal is under
10 s (> 50,000 candles/s) with flat memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import UTC, datetime, timedelta

from tradeplane.backtest import BacktestRequest, run_backtest
from tradeplane.backtest.data import open_dataset

START = datetime(2024, 1, 1, tzinfo=UTC)
GRID = {"symbol": "BTC/USDT", "lower": "60000", "upper": "70000", "levels": 21, "quantityPerLevel": "0.01"}
LIMITS = {"maxPositionPct": 100, "maxDailyTrades": 10000, "maxOrdersPerMinute": 10000}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args(argv)
    request = BacktestRequest.model_validate(
        {
            "strategy": "grid",
            "config": GRID,
            "timeframe": "1m",
            "start": START.isoformat(),
            "end": (START + timedelta(days=args.days)).isoformat(),
            "initialBalances": {"USDT": "10000", "BTC": "0.1"},
            "dataset": "synthetic:range:42",
            "limits": LIMITS,
        }
    )
    candles = request.period.count

    wall, cpu = time.perf_counter(), time.process_time()
    open_dataset(request.dataset, request.markets, request.period).sha256()
    data_wall, data_cpu = time.perf_counter() - wall, time.process_time() - cpu

    wall, cpu = time.perf_counter(), time.process_time()
    result = run_backtest(request)
    run_wall, run_cpu = time.perf_counter() - wall, time.process_time() - cpu

    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (
        1024 if sys.platform != "darwin" else 1024**2
    )
    metrics = result.metrics
    print(f"backtest          grid on {request.dataset}, {candles:,} 1m candles ({args.days} days)")
    print(f"data alone        {data_wall:.2f} s (cpu {data_cpu:.2f} s): generate + sha256")
    print(
        f"backtest time     {run_wall:.2f} s (cpu {run_cpu:.2f} s)  ->  {candles / run_wall:,.0f} candles/s "
        f"({candles / run_cpu:,.0f} per cpu second)"
    )
    print(
        f"result            {metrics['totalFills']:,} fills, {metrics['totalTrades']:,} trades, "
        f"return {metrics['totalReturnPct']}%, resultHash {result.result_hash[:16]}…"
    )
    print(f"peak memory (RSS) {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
