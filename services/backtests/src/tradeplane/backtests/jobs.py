"""The job worker: claims queued backtests, runs each in a child process, reports progress, notices
cancels and finishes the job. Storage and the child process are behind two small interfaces
(`JobStore`, `Runner`) so the claiming, requeueing and cancelling logic is tested without either.

A job belongs to a worker while its lease lasts: every progress report extends it. A worker that dies
(SIGKILL, a lost node) stops extending it; the job goes back to the queue when the lease expires (any
replica's sweep), or at once when a worker with the same instance id starts again. A job whose worker
died `max_attempts` times fails instead of running again (a run that kills its worker, e.g. out of
memory, must not take every replica down in turn).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job: what to run."""

    id: UUID
    user_id: UUID
    request: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended: a result (canonical JSON bytes of the engine's result) or an error."""

    result: bytes | None = None
    result_hash: str | None = None
    dataset_hash: str | None = None
    error: str | None = None


class JobStore(Protocol):
    async def requeue_owned(self, owner: str, max_attempts: int) -> list[UUID]:
        """Running jobs of `owner` (a previous run of this worker that died) back to the queue."""

    async def requeue_expired(self, max_attempts: int) -> list[UUID]:
        """Running jobs whose lease ran out back to the queue (or Failed after `max_attempts`)."""

    async def claim(self, owner: str, lease_seconds: float) -> Job | None:
        """The oldest queued job, now Running under `owner`'s lease; None when none is queued."""

    async def report(self, job_id: UUID, owner: str, progress: float, lease_seconds: float) -> bool:
        """Store progress and extend the lease; False when the job is no longer this worker's
        (cancelled, or requeued after the lease expired): the run must stop."""

    async def finish(self, job_id: UUID, owner: str, outcome: Outcome) -> bool:
        """Done or Failed; False when the job is no longer this worker's (its result is dropped)."""


class Run(Protocol):
    """One backtest running somewhere else (a child process)."""

    def progress(self) -> float: ...

    def done(self) -> bool: ...

    async def outcome(self) -> Outcome: ...

    def terminate(self) -> None: ...


class Runner(Protocol):
    def start(self, request: Mapping[str, Any]) -> Run: ...


@dataclass(frozen=True)
class WorkerOptions:
    owner: str
    max_workers: int = 1
    lease_seconds: float = 30.0
    progress_seconds: float = 1.0
    poll_seconds: float = 2.0
    max_attempts: int = 3


class Worker:
    def __init__(self, store: JobStore, runner: Runner, options: WorkerOptions) -> None:
        self._store = store
        self._runner = runner
        self._options = options
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._running: dict[UUID, asyncio.Task[None]] = {}
        self._runs: dict[UUID, Run] = {}

    @property
    def running(self) -> frozenset[UUID]:
        return frozenset(self._running)

    def wake(self) -> None:
        """Look for queued jobs now (a job was just created)."""
        self._wake.set()

    async def start(self) -> None:
        """Requeue what a previous run of this worker left Running, then start claiming."""
        requeued = await self._store.requeue_owned(self._options.owner, self._options.max_attempts)
        if requeued:
            log.warning("requeued backtests a previous run of this worker left", extra={"jobs": requeued})
        self._loop_task = asyncio.create_task(self._loop(), name="backtests-worker")

    async def stop(self) -> None:
        """Stop claiming and stop the running children; their jobs stay Running under this worker's
        lease and go back to the queue when it restarts (or when the lease expires)."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with suppress(asyncio.CancelledError):
                await self._loop_task
        for run in self._runs.values():
            run.terminate()
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task

    async def check(self) -> None:
        """Readiness: the claiming loop is alive."""
        if self._loop_task is None or self._loop_task.done():
            raise RuntimeError("the backtest worker is not running")

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("backtest worker tick failed; trying again")
            self._wake.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._options.poll_seconds)

    async def tick(self) -> None:
        """Requeue expired jobs, then claim queued ones while a run slot is free."""
        expired = await self._store.requeue_expired(self._options.max_attempts)
        if expired:
            log.warning("requeued backtests whose worker stopped reporting", extra={"jobs": expired})
        while len(self._running) < self._options.max_workers:
            job = await self._store.claim(self._options.owner, self._options.lease_seconds)
            if job is None:
                return
            self._running[job.id] = asyncio.create_task(self._supervise(job), name=f"backtest-{job.id}")

    async def _supervise(self, job: Job) -> None:
        try:
            await self._run(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("backtest supervision failed; the lease expiry requeues it", extra={"job": job.id})
        finally:
            self._running.pop(job.id, None)
            self._runs.pop(job.id, None)
            self._wake.set()

    async def _run(self, job: Job) -> None:
        options = self._options
        try:
            run = self._runner.start(job.request)
        except Exception as exc:
            await self._store.finish(job.id, options.owner, Outcome(error=f"could not start: {exc}"))
            return
        self._runs[job.id] = run
        try:
            while not run.done():
                await _sleep_until_done(run, options.progress_seconds)
                if run.done():
                    break
                mine = await self._store.report(job.id, options.owner, run.progress(), options.lease_seconds)
                if not mine:
                    log.info("backtest cancelled or taken over; stopping its run", extra={"job": job.id})
                    run.terminate()
                    return
            outcome = await run.outcome()
        except BaseException:
            run.terminate()
            raise
        if not await self._store.finish(job.id, options.owner, outcome):
            log.info("backtest finished after it was cancelled; result dropped", extra={"job": job.id})


async def _sleep_until_done(run: Run, seconds: float) -> None:
    """Wait `seconds`, or less when the run ends sooner (checked every few tens of ms)."""
    step = min(0.05, seconds)
    waited = 0.0
    while waited < seconds and not run.done():
        await asyncio.sleep(step)
        waited += step
