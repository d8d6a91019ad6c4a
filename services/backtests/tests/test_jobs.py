"""The worker's claiming, progress, cancel and requeue logic, with an in-memory store and fake runs."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import pytest
from tradeplane.backtests.jobs import Job, Outcome, Unrunnable, Worker, WorkerOptions


@dataclass
class Row:
    job: Job
    status: str = "Queued"
    owner: str | None = None
    expired: bool = False
    attempts: int = 0
    progress: list[float] = field(default_factory=list)
    outcome: Outcome | None = None


class FakeStore:
    """The JobStore contract over a dict: Queued → Running (leased) → Done/Failed/Cancelled."""

    def __init__(self) -> None:
        self.rows: dict[UUID, Row] = {}

    def add(self, request: Mapping[str, Any] | None = None) -> UUID:
        job = Job(uuid4(), uuid4(), request or {})
        self.rows[job.id] = Row(job)
        return job.id

    def _requeue(self, which: list[Row], max_attempts: int) -> list[UUID]:
        for row in which:
            row.owner, row.expired = None, False
            row.status = "Failed" if row.attempts >= max_attempts else "Queued"
        return [row.job.id for row in which if row.status == "Queued"]

    async def requeue_owned(self, owner: str, max_attempts: int) -> list[UUID]:
        mine = [r for r in self.rows.values() if r.status == "Running" and r.owner == owner]
        return self._requeue(mine, max_attempts)

    async def requeue_expired(self, max_attempts: int) -> list[UUID]:
        expired = [r for r in self.rows.values() if r.status == "Running" and r.expired]
        return self._requeue(expired, max_attempts)

    async def claim(self, owner: str, lease_seconds: float) -> Job | None:
        for row in self.rows.values():
            if row.status == "Queued":
                row.status, row.owner = "Running", owner
                row.attempts += 1
                return row.job
        return None

    def _mine(self, job_id: UUID, owner: str) -> Row | None:
        row = self.rows[job_id]
        return row if row.status == "Running" and row.owner == owner else None

    async def report(self, job_id: UUID, owner: str, progress: float, lease_seconds: float) -> bool:
        row = self._mine(job_id, owner)
        if row is None:
            return False
        row.progress.append(progress)
        return True

    async def finish(self, job_id: UUID, owner: str, outcome: Outcome) -> bool:
        row = self._mine(job_id, owner)
        if row is None:
            return False
        row.status = "Done" if outcome.result is not None else "Failed"
        row.outcome = outcome
        return True

    def cancel(self, job_id: UUID) -> None:
        self.rows[job_id].status = "Cancelled"
        self.rows[job_id].owner = None


class FakeRun:
    def __init__(self, request: Mapping[str, Any]) -> None:
        self.request = request
        self.fraction = 0.0
        self.finished: Outcome | None = None
        self.terminated = False

    def progress(self) -> float:
        return self.fraction

    def done(self) -> bool:
        return self.finished is not None or self.terminated

    async def outcome(self) -> Outcome:
        assert self.finished is not None
        return self.finished

    def terminate(self) -> None:
        self.terminated = True


class FakeRunner:
    def __init__(self) -> None:
        self.runs: list[FakeRun] = []

    def start(self, request: Mapping[str, Any], data: Any = None) -> FakeRun:
        run = FakeRun(request)
        self.runs.append(run)
        return run


OPTIONS = WorkerOptions(owner="w-1", max_workers=1, progress_seconds=0.01, poll_seconds=0.01)
DONE = Outcome(result=b"{}", result_hash="r" * 64, dataset_hash="d" * 64)


async def until(condition: Any, what: str) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
async def worker_parts() -> Any:
    store, runner = FakeStore(), FakeRunner()
    worker = Worker(store, runner, OPTIONS)
    yield store, runner, worker
    await worker.stop()


@dataclass
class Started:
    store: FakeStore
    worker: Worker
    job_id: UUID
    run: FakeRun


@pytest.fixture
async def started(worker_parts: Any) -> Started:
    """One job queued and its run started by the worker."""
    store, runner, worker = worker_parts
    job_id = store.add()
    await worker.start()
    await until(lambda: runner.runs, "the job started")
    return Started(store, worker, job_id, runner.runs[0])


async def test_a_queued_job_runs_reports_progress_and_ends_done(worker_parts: Any) -> None:
    store, runner, worker = worker_parts
    job_id = store.add({"strategy": "grid"})
    await worker.start()
    await until(lambda: runner.runs, "the job started")
    run = runner.runs[0]
    assert run.request == {"strategy": "grid"}
    run.fraction = 0.5
    await until(lambda: 0.5 in store.rows[job_id].progress, "progress 0.5 stored")
    run.finished = DONE
    await until(lambda: store.rows[job_id].status == "Done", "the job is done")
    assert store.rows[job_id].outcome == DONE


async def test_one_run_at_a_time_with_one_worker_slot(worker_parts: Any) -> None:
    store, runner, worker = worker_parts
    first, second = store.add(), store.add()
    await worker.start()
    await until(lambda: runner.runs, "the first job started")
    await worker.tick()
    assert len(runner.runs) == 1
    assert store.rows[second].status == "Queued"
    runner.runs[0].finished = DONE
    await until(lambda: len(runner.runs) == 2, "the second job started once the first finished")
    assert store.rows[first].status == "Done"


async def test_a_cancelled_running_job_has_its_run_terminated(started: Started) -> None:
    started.store.cancel(started.job_id)
    await until(lambda: started.run.terminated, "the run was terminated")
    await until(lambda: not started.worker.running, "the worker let go of the job")
    assert started.store.rows[started.job_id].status == "Cancelled"


async def test_a_failed_run_fails_the_job_with_its_error(started: Started) -> None:
    row = started.store.rows[started.job_id]
    started.run.finished = Outcome(error="dataset exploded")
    await until(lambda: row.status == "Failed", "the job failed")
    assert row.outcome == Outcome(error="dataset exploded")


async def test_jobs_left_running_by_a_dead_worker_of_the_same_name_are_run_again(worker_parts: Any) -> None:
    store, runner, worker = worker_parts
    job_id = store.add()
    row = store.rows[job_id]
    row.status, row.owner, row.attempts = "Running", OPTIONS.owner, 1  # a previous run was SIGKILLed
    await worker.start()
    await until(lambda: runner.runs, "the job ran again")
    runner.runs[0].finished = DONE
    await until(lambda: row.status == "Done", "the job is done")
    assert row.attempts == 2


async def test_an_expired_lease_of_another_worker_requeues_its_job(worker_parts: Any) -> None:
    store, runner, worker = worker_parts
    job_id = store.add()
    row = store.rows[job_id]
    row.status, row.owner, row.attempts, row.expired = "Running", "w-dead", 1, True
    await worker.start()
    await until(lambda: runner.runs, "the job ran again on this worker")
    assert row.owner == OPTIONS.owner


async def test_a_job_whose_worker_died_too_often_fails_instead_of_running_again(worker_parts: Any) -> None:
    store, runner, worker = worker_parts
    job_id = store.add()
    row = store.rows[job_id]
    row.status, row.owner, row.attempts = "Running", OPTIONS.owner, OPTIONS.max_attempts
    await worker.start()
    await worker.tick()
    assert row.status == "Failed"
    assert runner.runs == []


async def test_a_job_taken_over_after_its_lease_expired_stops_here(started: Started) -> None:
    started.store.rows[started.job_id].owner = "w-other"  # the lease expired and another replica claimed it
    await until(lambda: started.run.terminated, "this worker's run was stopped")


async def test_stop_terminates_running_children_and_leaves_the_job_for_a_restart() -> None:
    store, runner = FakeStore(), FakeRunner()
    worker = Worker(store, runner, OPTIONS)
    job_id = store.add()
    await worker.start()
    await until(lambda: runner.runs, "the job started")
    await worker.stop()
    assert runner.runs[0].terminated
    assert store.rows[job_id].status == "Running"  # requeued by the next start of this worker
    restarted = Worker(store, runner, OPTIONS)
    await restarted.start()
    await until(lambda: len(runner.runs) == 2, "the restarted worker ran it again")
    await restarted.stop()


async def test_a_job_whose_data_does_not_exist_fails_with_the_reason_and_never_runs() -> None:
    store, runner = FakeStore(), FakeRunner()

    async def prepare(job: Job) -> Any:
        raise Unrunnable("marketdata stored no 1m candle of BTC/USDT")

    worker = Worker(store, runner, OPTIONS, prepare=prepare)
    job_id = store.add({"dataset": "recorded"})
    await worker.start()
    try:
        await until(lambda: store.rows[job_id].status == "Failed", "the job failed")
    finally:
        await worker.stop()
    assert runner.runs == []
    outcome = store.rows[job_id].outcome
    assert outcome is not None and outcome.error == "marketdata stored no 1m candle of BTC/USDT"
