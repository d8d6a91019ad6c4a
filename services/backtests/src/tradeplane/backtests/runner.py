"""Backtests in child processes: one spawned process a run, so a CPU-heavy run never holds up the
worker's event loop, and a cancel terminates exactly that run.

Not a `ProcessPoolExecutor`: stopping one of its tasks means killing a pool process, which breaks the
whole pool (every other run in it fails). The worker's `max_workers` bounds the children at once.
Progress is a shared double the engine's progress hook writes; the result comes back on a pipe.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Mapping
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from .jobs import Outcome

log = logging.getLogger(__name__)

_CONTEXT = multiprocessing.get_context("spawn")
"""Spawned, not forked: the parent runs an event loop and threads a fork would copy mid-state."""


PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Linux: the child gets SIGKILL when the worker dies, even by SIGKILL (no orphan keeps burning CPU
    on a job that is requeued anyway)."""
    if sys.platform == "linux":
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            log.debug("prctl unavailable; an orphaned backtest runs to its end")
    if os.getppid() != parent:  # the worker died before the line above took effect
        os._exit(1)


def run_in_child(
    request: Mapping[str, Any], progress: Synchronized[float], conn: Connection, parent: int
) -> None:
    """The child's body: run the backtest, send `("ok", canonical json, result hash, dataset hash)` or
    `("error", message)`."""
    _die_with_parent(parent)
    try:
        from tradeplane.backtest import BacktestRequest, DatasetError, run_backtest

        def report(done: float) -> None:
            progress.value = done

        try:
            result = run_backtest(BacktestRequest.model_validate(dict(request)), progress=report)
        except (DatasetError, ValueError) as exc:
            conn.send(("error", str(exc)[:2000]))
            return
        conn.send(("ok", result.canonical(), result.result_hash, result.dataset_hash))
    except Exception as exc:  # reported to the parent, which fails the job with it
        conn.send(("error", f"the backtest failed: {type(exc).__name__}"))
    finally:
        conn.close()


class ProcessRun:
    def __init__(self, request: Mapping[str, Any]) -> None:
        self._progress: Synchronized[float] = _CONTEXT.Value("d", 0.0)
        self._conn, child_conn = _CONTEXT.Pipe(duplex=False)
        self._process: BaseProcess = _CONTEXT.Process(
            target=run_in_child,
            args=(dict(request), self._progress, child_conn, os.getpid()),
            daemon=True,
        )
        self._process.start()
        child_conn.close()

    def progress(self) -> float:
        return max(0.0, min(1.0, float(self._progress.value)))

    def done(self) -> bool:
        if self._conn.closed:
            return True
        return self._conn.poll() or not self._process.is_alive()

    async def outcome(self) -> Outcome:
        message: tuple[Any, ...] | None = None
        if self._conn.poll():
            try:
                message = await asyncio.to_thread(self._conn.recv)
            except EOFError:
                message = None
        await asyncio.to_thread(self._process.join, 5.0)
        if not self._conn.closed:
            self._conn.close()
        if message is None:
            return Outcome(
                error=f"the backtest process ended unexpectedly (exit code {self._process.exitcode})"
            )
        if message[0] == "ok":
            _, body, result_hash, dataset_hash = message
            return Outcome(result=body, result_hash=result_hash, dataset_hash=dataset_hash)
        return Outcome(error=str(message[1]))

    def terminate(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(2.0)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(2.0)
        if not self._conn.closed:
            self._conn.close()


class ProcessRunner:
    def start(self, request: Mapping[str, Any]) -> ProcessRun:
        return ProcessRun(request)
