"""Wiring of the backtests process: the job worker, the queries and health."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from tradeplane.runtime import Runtime, serve

from . import queries
from .config import Settings
from .jobs import Worker, WorkerOptions
from .runner import ProcessRunner
from .store import SqlJobStore
from .tables import metadata

SERVICE = "backtests"


def build(settings: Settings) -> Starlette:
    rt = Runtime(SERVICE, settings, metadata, Path(__file__).parent / "migrations")
    jobs = SqlJobStore(rt.outbox)
    worker = Worker(
        jobs,
        ProcessRunner(),
        WorkerOptions(
            owner=settings.instance_id,
            max_workers=settings.backtests_max_workers,
            lease_seconds=settings.backtests_lease_seconds,
            progress_seconds=settings.backtests_progress_seconds,
            poll_seconds=settings.backtests_poll_seconds,
            max_attempts=settings.backtests_max_attempts,
        ),
    )
    rt.checks["backtest_worker"] = worker.check
    context = queries.Context(
        store=jobs,
        engine=rt.engine,
        per_user=settings.backtests_per_user,
        wake=worker.wake,
        ask_risk=queries.risk_asker(rt.broker),
    )
    # The worker starts once the broker is up (its events go out through the outbox).
    return rt.asgi([queries.router(context)], after_startup=[worker.start], on_shutdown=[worker.stop])


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
