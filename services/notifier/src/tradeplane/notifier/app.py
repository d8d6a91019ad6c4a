"""Wiring of the notifier process: bus consumers, queries, the delivery worker and health."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from tradeplane.runtime import Periodic, Runtime, run

from . import handlers, queries, tasks
from .adapters.dispatch import Dispatcher
from .adapters.sender import WebhookSender
from .adapters.tables import metadata
from .adapters.transport import build_client
from .adapters.worker import DeliveryWorker, WorkerOptions
from .config import Settings

SERVICE = "notifier"


def _worker_options(settings: Settings) -> WorkerOptions:
    return WorkerOptions(
        owner=settings.instance_id,
        max_in_flight=settings.notifier_max_in_flight,
        per_endpoint=settings.notifier_per_endpoint_concurrency,
        lease_seconds=settings.notifier_lease_seconds,
        poll_seconds=settings.notifier_poll_seconds,
        drain_seconds=min(settings.notifier_timeout_seconds, 5.0),
    )


def build(settings: Settings) -> Starlette:
    """The notifier's ASGI app; the worker starts before the consumers and stops before the broker."""
    rt = Runtime(SERVICE, settings, metadata, Path(__file__).parent / "migrations")
    keyring = settings.keyring()
    delivery = settings.delivery
    client = build_client(delivery)
    sender = WebhookSender(client, delivery)
    dispatch = Dispatcher(rt.engine, sender, keyring, delivery, owner=settings.instance_id, outbox=rt.outbox)
    worker = DeliveryWorker(rt.engine, dispatch, _worker_options(settings))
    rt.checks["delivery_worker"] = worker.check
    context = queries.Context(rt.engine, keyring, delivery, worker.wake)
    periodic = Periodic()

    async def start_tasks() -> None:
        if settings.notifier_retention_days > 0:
            purge = tasks.purge(rt.engine, settings.notifier_retention_days)
            periodic.start("webhook-purge", tasks.PURGE_EVERY_SECONDS, purge)

    return rt.asgi(
        [handlers.router(rt, worker.wake), queries.router(context)],
        on_startup=[worker.start, start_tasks],
        on_shutdown=[periodic.stop, worker.stop, client.aclose],
    )


def main() -> None:
    run(build, Settings)
