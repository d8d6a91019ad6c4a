"""Wiring of the gateway: FastAPI routes, the NATS broker and consumers in its lifespan, health, metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from tradeplane.runtime import Runtime, serve, telemetry
from tradeplane.runtime.health import health_router
from tradeplane.runtime.periodic import Periodic

from . import edge, envelope, handlers, stream, web, websocket
from .adapters.tables import metadata
from .audit_trail import AuditTrail, Recorder
from .auth import lockout
from .auth.cache import revocation_router
from .auth.tokens import AccessTokens
from .body_limit import BodyLimit
from .config import Settings
from .context import Gateway
from .metrics import RequestMetrics
from .routes import (
    activity,
    admin,
    alerts,
    auth,
    backtests,
    bots,
    compliance,
    events,
    killswitch,
    market,
    monitoring,
    orders,
    pnl,
    portfolio,
    portfolio_risk,
    settings,
    settings_transfer,
    strategies,
    venue_checks,
    venues,
    violations,
    webhooks,
)
from .users import ensure_admin

log = logging.getLogger(__name__)

SERVICE = "gateway"
MIGRATIONS = Path(__file__).parent / "migrations"
ROUTERS = (
    auth,
    venues,
    market,
    orders,
    settings,
    killswitch,
    portfolio,
    pnl,
    webhooks,
    admin,
    compliance,
    monitoring,
    strategies,
    bots,
    backtests,
    events,
    alerts,
    violations,
    portfolio_risk,
    venue_checks,
    activity,
    settings_transfer,
)


def runtime(config: Settings) -> Runtime:
    return Runtime(SERVICE, config, metadata, MIGRATIONS)


def build(config: Settings, rt: Runtime | None = None) -> FastAPI:
    """The gateway's ASGI app; the broker, consumers and outbox run for the app's lifespan."""
    rt = rt or runtime(config)
    tokens = AccessTokens(config.jwt_key, timedelta(minutes=config.access_token_minutes))
    gw = Gateway(rt, config, tokens)
    trail = Recorder(rt.outbox)
    rt.include(handlers.router(rt), health_router(SERVICE, config.instance_id, rt.checks))
    rt.include(revocation_router(gw.session_cache))

    async def bootstrap_admin() -> None:
        if config.admin_email and config.admin_password is not None:
            email = config.admin_email.strip().lower()
            await ensure_admin(rt.outbox, email, config.admin_password.get_secret_value())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await rt.start([bootstrap_admin])
        sweeps = Periodic()
        sweeps.start("rate-counter-sweep", 300.0, gw.limiter.storage.sweep, at_once=False)
        lock = gw.login_policies[0].lock
        sweeps.start("login-failure-sweep", 300.0, lambda: lockout.sweep(rt.engine, lock), at_once=False)
        trail.start()
        operator_port = _serve_metrics(config)
        log.info("service started", extra={"instance": config.instance_id})
        try:
            yield
        finally:
            await sweeps.stop()
            if operator_port is not None:
                await asyncio.to_thread(operator_port.shutdown)
                operator_port.server_close()
            await trail.stop()
            await rt.stop()

    app = FastAPI(
        title="Tradeplane API",
        version="0.1.0",
        summary="Multi-user crypto trading: accounts, orders, risk, kill switch, PnL, webhooks.",
        docs_url="/api/docs" if config.docs_enabled else None,
        openapi_url="/api/openapi.json" if config.docs_enabled else None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.gateway = gw
    envelope.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.include_router(stream.router)
    app.include_router(websocket.router)
    web.install(app)  # the dashboard's pages at / and their assets at /static
    _mount_operations(app, rt, config.public_metrics)
    edge.guard(app, config, tokens)
    app.add_middleware(AuditTrail, recorder=trail, tokens=tokens)
    if config.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.cors_origin_list,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(BodyLimit)
    app.add_middleware(RequestMetrics)
    if telemetry.enabled():  # the request's span becomes the parent of the order's whole trace
        app.add_middleware(telemetry.TracingMiddleware)
    edge.shield(app, config)
    return app


def _serve_metrics(config: Settings) -> WSGIServer | None:
    """/metrics on the operator port (TP_METRICS_PORT), when one is set."""
    if config.metrics_port is None:
        return None
    try:
        server, _ = start_http_server(config.metrics_port, addr=config.metrics_host or config.http_host)
    except OSError:  # several workers (TP_HTTP_WORKERS): the first one to start holds the port
        log.warning("the operator port is held by another gateway worker; its /metrics are that worker's")
        return None
    return server


def _mount_operations(app: FastAPI, rt: Runtime, public_metrics: bool) -> None:
    """/healthz (alive), /readyz (NATS, database and consumers) and, in development without an operator
    port, /metrics, outside the API."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if not getattr(rt, "started", False):
            return JSONResponse({"consumers": "starting"}, status_code=503)
        ready, results = await rt.ready()
        return JSONResponse(results, status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/healthz", healthz, include_in_schema=False)
    app.add_api_route("/readyz", readyz, include_in_schema=False)
    if public_metrics:
        app.add_api_route("/metrics", metrics, include_in_schema=False)


def create() -> FastAPI:
    """The app of one worker process (`TP_HTTP_WORKERS` above 1)."""
    return build(Settings())


def main() -> None:
    config = Settings()
    if config.http_workers > 1:  # each worker builds its app (its broker, consumers, stream fan-out)
        serve(f"{__name__}:create", config, workers=config.http_workers, factory=True)
    else:
        serve(build(config), config)
