"""Wiring of the compliance process: the consumers that raise alerts and violations, the queries, the
scheduled reconciliation and health."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from tradeplane.runtime import Periodic, Runtime, serve

from . import handlers, queries
from .config import Settings
from .reconcile import Reconciler, execution_asker
from .tables import metadata

SERVICE = "compliance"


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

    async def start_tasks() -> None:
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
