"""Backtests in a real child process: the same result as in-process, progress, terminate."""

from __future__ import annotations

import asyncio
from typing import Any

from tradeplane.backtest import EXAMPLE, BacktestRequest, run_backtest
from tradeplane.backtests.runner import ProcessRunner


async def _wait_done(run: Any) -> None:
    for _ in range(1200):
        if run.done():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the child never finished")


async def test_a_child_run_gives_the_in_process_result() -> None:
    run = ProcessRunner().start(EXAMPLE)
    await _wait_done(run)
    outcome = await run.outcome()
    expected = run_backtest(BacktestRequest.model_validate(EXAMPLE))
    assert outcome.error is None
    assert outcome.result == expected.canonical()
    assert outcome.result_hash == expected.result_hash
    assert outcome.dataset_hash == expected.dataset_hash
    assert run.progress() == 1.0


async def test_a_bad_request_in_the_child_is_an_error_outcome() -> None:
    run = ProcessRunner().start(EXAMPLE | {"dataset": "recorded"})
    await _wait_done(run)
    outcome = await run.outcome()
    assert outcome.result is None
    assert outcome.error is not None and "recorded" in outcome.error


async def test_terminate_stops_a_long_run() -> None:
    long = EXAMPLE | {"timeframe": "1m", "end": "2024-12-01T00:00:00Z"}
    run = ProcessRunner().start(long)
    for _ in range(1200):
        if run.progress() > 0:
            break
        await asyncio.sleep(0.05)
    assert not run.done()
    run.terminate()
    assert run.done()
