"""Wiring shared by every service: one `Runtime` holds the broker, database, outbox and health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from faststream.nats import NatsBroker, NatsRouter
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import bus, db, health, migrations, telemetry
from .headers import SecurityHeaders
from .inbox import Inbox
from .logs import configure_logging
from .outbox import Outbox
from .settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]


class Runtime:
    """What a service process needs to talk to the bus and its own schema."""

    def __init__(
        self,
        service: str,
        settings: ServiceSettings,
        metadata: MetaData,
        migrations_dir: Path,
    ) -> None:
        configure_logging(service, settings.log_level)
        telemetry.configure_tracing(service, settings)
        self.service = service
        self.settings = settings
        self.metadata = metadata
        self.migrations_dir = migrations_dir
        self.broker: NatsBroker = bus.make_broker(settings, service)
        self.engine = db.make_engine(settings, service)
        self.outbox = Outbox(self.engine, metadata, partial(bus.publish, self.broker))
        self.inbox = Inbox(metadata)
        self.checks: dict[str, health.Check] = {
            "nats": self._ping_nats,
            "database": partial(db.ping, self.engine),
        }

    async def _ping_nats(self) -> None:
        if not await self.broker.ping(timeout=1.0):
            raise ConnectionError("NATS unreachable")

    async def migrate(self) -> None:
        await asyncio.to_thread(migrations.upgrade, self.settings.sqlalchemy_url, self.migrations_dir)

    async def start(self, on_startup: Sequence[Hook] = ()) -> None:
        """Migrate, connect, declare streams, run `on_startup`, then start consuming.

        Streams exist before any subscriber is created, and `on_startup` hooks (e.g. loading the kill
        switch state) finish before the first message is handled.
        """
        if self.settings.migrate_on_start:
            await self.migrate()
        await self.broker.connect()
        await bus.declare_streams(self.broker, self.settings.stream_replicas, self.settings.stream_limits)
        await bus.lift_delivery_limits(self.broker)
        bus.pin_deliver_subjects(self.settings)
        for hook in on_startup:
            await hook()
        await self.broker.start()
        self.outbox.start(self.settings.outbox_sweep_seconds)
        self.started = True

    async def stop(self) -> None:
        self.started = False
        await self.broker.stop()
        await self.outbox.stop()
        await self.engine.dispose()
        telemetry.flush()

    def include(self, *routers: NatsRouter) -> None:
        for router in routers:
            self.broker.include_router(router)

    def asgi(
        self,
        routers: Sequence[NatsRouter] = (),
        *,
        on_startup: Sequence[Hook] = (),
        after_startup: Sequence[Hook] = (),
        on_shutdown: Sequence[Hook] = (),
    ) -> Starlette:
        """The service's ASGI app: broker lifecycle, /healthz, /readyz, /metrics and /asyncapi.json (what it
        consumes; the platform's whole document, rendered, is the gateway's `/api/events`).

        Not FastStream's AsgiFastStream: it reports startup complete before the broker has started, so a
        consumer that fails to start would leave a process that looks healthy.
        """
        self.include(*routers, health.health_router(self.service, self.settings.instance_id, self.checks))

        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            await self.start(on_startup)
            for hook in after_startup:
                await hook()
            log.info("service started", extra={"instance": self.settings.instance_id})
            try:
                yield
            finally:
                for hook in on_shutdown:
                    await hook()
                await self.stop()

        app = Starlette(
            routes=[
                Route("/healthz", _healthz),
                Route("/readyz", self._readyz),
                Route("/metrics", _metrics),
                Route("/asyncapi.json", self._asyncapi_json),
            ],
            lifespan=lifespan,
        )
        app.add_middleware(SecurityHeaders)
        return app

    async def ready(self) -> tuple[bool, dict[str, str]]:
        results = await health.run_checks(self.checks)
        results["consumers"] = "ok" if self.started else "starting"
        return all(v == "ok" for v in results.values()), results

    async def _readyz(self, request: Request) -> Response:
        ok, results = await self.ready()
        return JSONResponse(results, status_code=200 if ok else 503)

    def _specification(self) -> Any:
        factory = AsyncAPI(self.broker, title=f"Tradeplane {self.service}", version="0.1.0")
        return factory.to_specification()

    async def _asyncapi_json(self, request: Request) -> Response:
        return Response(self._specification().to_json(), media_type="application/json")


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


KEEP_ALIVE_SECONDS = 75


def serve(app: Any, settings: ServiceSettings, *, workers: int = 1, factory: bool = False) -> None:
    """Run an ASGI app the way every service runs: uvloop, no access log, our JSON logging.

    With `workers` above 1, `app` is an import string (`module:function` when `factory`): uvicorn
    starts that many processes on the same port, each building its own app.
    """
    uvicorn.run(
        app,
        workers=workers if workers > 1 else None,
        factory=factory,
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        http="httptools" if _has("httptools") else "h11",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        # Longer than any client's or proxy's idle keep-alive (httpx 5 s, ingress-nginx 60 s): a server
        # that closes an idle connection first races the client reusing it (httpx.ReadError under load).
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # X-Forwarded-For is trusted by the app itself, only from the proxies it is told about (the
        # gateway's TP_TRUSTED_PROXIES), never by default from 127.0.0.1 as uvicorn would.
        proxy_headers=False,
        server_header=False,
    )


def run(build: Callable[[S], Any], settings: Callable[[], S]) -> None:
    """A service's `main`: read its settings from the environment, build its app and serve it."""
    config = settings()
    serve(build(config), config)


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True
