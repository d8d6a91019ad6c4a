"""Wiring shared by every service: one `Runtime` holds the broker, database, outbox and health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import uvicorn
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.nats import NatsBroker, NatsRouter
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import MetaData

from . import bus, db, health, migrations
from .inbox import Inbox
from .logs import configure_logging
from .outbox import Outbox
from .settings import ServiceSettings

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
        self.service = service
        self.settings = settings
        self.metadata = metadata
        self.migrations_dir = migrations_dir
        self.broker: NatsBroker = bus.make_broker(settings, service)
        self.engine = db.make_engine(settings)
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

    def asgi(
        self,
        routers: Sequence[NatsRouter] = (),
        *,
        on_startup: Sequence[Hook] = (),
        after_startup: Sequence[Hook] = (),
        on_shutdown: Sequence[Hook] = (),
    ) -> AsgiFastStream:
        """The ASGI app: broker lifecycle, /healthz, /readyz, /metrics and the AsyncAPI page."""
        for router in (*routers, health.health_router(self.service, self.settings.instance_id, self.checks)):
            self.broker.include_router(router)

        async def startup() -> None:
            if self.settings.migrate_on_start:
                await self.migrate()

        async def started() -> None:
            await bus.declare_streams(self.broker)
            self.outbox.start(self.settings.outbox_sweep_seconds)
            for hook in after_startup:
                await hook()
            log.info("service started", extra={"instance": self.settings.instance_id})

        async def stopping() -> None:
            for hook in on_shutdown:
                await hook()
            await self.outbox.stop()

        async def stopped() -> None:
            await self.engine.dispose()

        return AsgiFastStream(
            self.broker,
            asgi_routes=[
                ("/healthz", _healthz),
                ("/readyz", self._readyz_handler()),
                ("/metrics", _metrics),
            ],
            on_startup=[startup, *on_startup],
            after_startup=[started],
            on_shutdown=[stopping],
            after_shutdown=[stopped],
            specification=AsyncAPI(title=f"Tradeplane {self.service}", version="0.1.0"),
            asyncapi_path="/asyncapi",
            logger=logging.getLogger(f"tradeplane.{self.service}"),
        )

    def _readyz_handler(self) -> Any:
        @get(include_in_schema=False)
        async def readyz(scope: Any) -> AsgiResponse:
            results = await health.run_checks(self.checks)
            ok = all(v == "ok" for v in results.values())
            body = ",".join(f'"{k}":"{v}"' for k, v in results.items())
            return AsgiResponse(
                ("{" + body + "}").encode(), 200 if ok else 503, {"content-type": "application/json"}
            )

        return readyz


@get(include_in_schema=False)
async def _healthz(scope: Any) -> AsgiResponse:
    return AsgiResponse(b'{"status":"ok"}', 200, {"content-type": "application/json"})


@get(include_in_schema=False)
async def _metrics(scope: Any) -> AsgiResponse:
    return AsgiResponse(generate_latest(), 200, {"content-type": CONTENT_TYPE_LATEST})


def serve(app: Any, settings: ServiceSettings) -> None:
    """Run an ASGI app the way every service runs: uvloop, no access log, our JSON logging."""
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        http="httptools" if _has("httptools") else "h11",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True
