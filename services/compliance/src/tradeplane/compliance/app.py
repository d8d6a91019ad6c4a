"""Wiring of the compliance process: the consumers that raise alerts and violations, the queries, the
scheduled reconciliation and health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from starlette.applications import Starlette
from tradeplane.runtime import Periodic, Runtime, serve

from . import handlers, metrics, queries, store
from .config import Settings
from .reconcile import Reconciler, execution_asker
from .tables import metadata

SERVICE = "compliance"
PRUNE_EVERY_SECONDS = 600.0


def build(settings: Settings) -> Starlette:
    rt = Runtime(SERVICE, settings, metadata, Path(__file__).parent / "migrations")
    reconciler = Reconciler(
        rt.outbox,
        execution_asker(rt.broker, settings.venue_timeout_seconds),
        settings.compliance_reconcile_tolerance,
        settings.compliance_reconcile_settle_seconds,
    )
    context = queries.Context(rt.engine, rt.outbox, reconciler)
    periodic = Periodic()

    async def prune() -> None:
        keep = max(settings.compliance_wash_window_seconds, settings.compliance_cancel_burst_seconds)
        async with rt.engine.begin() as conn:
            pruned = await store.prune_orders(conn, datetime.now(UTC) - timedelta(seconds=2 * keep + 3600))
        metrics.PRUNED.inc(pruned)

    async def start_tasks() -> None:
        periodic.start("prune-orders", PRUNE_EVERY_SECONDS, prune, at_once=False)
        if settings.compliance_reconcile_seconds > 0:
            every = settings.compliance_reconcile_seconds
            periodic.start("reconciliation", every, reconciler.scheduled, at_once=False)

    consumers = handlers.router(rt, handlers.build_handlers(rt, settings))
    return rt.asgi(
        [consumers, queries.router(context)], after_startup=[start_tasks], on_shutdown=[periodic.stop]
    )


def main() -> None:
    settings = Settings()
    serve(build(settings), settings)
