"""Wiring of the gateway: FastAPI routes, the NATS broker and consumers in its lifespan, health, metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from tradeplane.runtime import Runtime, serve, telemetry
from tradeplane.runtime.health import health_router
from tradeplane.runtime.periodic import Periodic

from . import envelope, handlers, stream, web, websocket
from .adapters.tables import metadata
from .auth import lockout
from .auth.cache import revocation_router
from .auth.tokens import AccessTokens
from .body_limit import BodyLimit
from .config import Settings
from .context import Gateway
from .metrics import RequestMetrics
from .routes import (
    admin,
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
    settings,
    strategies,
    venues,
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
)


def runtime(config: Settings) -> Runtime:
    return Runtime(SERVICE, config, metadata, MIGRATIONS)


def build(config: Settings, rt: Runtime | None = None) -> FastAPI:
    """The gateway's ASGI app; the broker, consumers and outbox run for the app's lifespan."""
    rt = rt or runtime(config)
    tokens = AccessTokens(config.jwt_key, timedelta(minutes=config.access_token_minutes))
    gw = Gateway(rt, config, tokens)
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
        log.info("service started", extra={"instance": config.instance_id})
        try:
            yield
        finally:
            await sweeps.stop()
            await rt.stop()

    app = FastAPI(
        title="Tradeplane API",
        version="0.1.0",
        summary="Multi-user crypto trading: accounts, orders, risk, kill switch, PnL, webhooks.",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
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
    _mount_operations(app, rt)
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
    return app


def _mount_operations(app: FastAPI, rt: Runtime) -> None:
    """/healthz (alive), /readyz (NATS, database and consumers) and /metrics, outside the API."""

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
    app.add_api_route("/metrics", metrics, include_in_schema=False)


def main() -> None:
    config = Settings()
    serve(build(config), config)
