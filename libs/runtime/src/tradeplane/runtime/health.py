"""Health: HTTP liveness/readiness for the orchestrator, and a bus responder the gateway aggregates."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from faststream.nats import NatsBroker, NatsMessage, NatsRouter
from tradeplane.contracts import subjects

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[None]]
BROADCAST = subjects.health("all")


async def run_checks(checks: dict[str, Check], limit_seconds: float = 2.0) -> dict[str, str]:
    async def one(check: Check) -> str:
        try:
            await asyncio.wait_for(check(), limit_seconds)
        except Exception as exc:
            return f"error: {type(exc).__name__}"
        return "ok"

    names = list(checks)
    results = await asyncio.gather(*(one(checks[n]) for n in names))
    return dict(zip(names, results, strict=True))


def health_router(service: str, instance: str, checks: dict[str, Check]) -> NatsRouter:
    """Answer `tp.health.<service>` and `tp.health.all` with this instance's status."""
    router = NatsRouter()

    async def answer(msg: NatsMessage) -> bytes:
        results = await run_checks(checks)
        status = "ok" if all(v == "ok" for v in results.values()) else "degraded"
        body: dict[str, Any] = {"service": service, "instance": instance, "status": status, "checks": results}
        return orjson.dumps(body)

    router.subscriber(subjects.health(service), include_in_schema=False)(answer)
    router.subscriber(BROADCAST, include_in_schema=False)(answer)
    return router


async def gather_health(broker: NatsBroker, wait: float = 0.3) -> list[dict[str, Any]]:
    """Ask every service instance for its health; collect the answers that arrive within `wait`."""
    nc = broker.config.connection_state.connection
    inbox = nc.new_inbox()
    answers: list[dict[str, Any]] = []

    async def collect(msg: Any) -> None:
        try:
            answers.append(orjson.loads(msg.data))
        except orjson.JSONDecodeError:
            log.warning("undecodable health answer")

    sub = await nc.subscribe(inbox, cb=collect)
    try:
        await nc.publish(BROADCAST, b"", reply=inbox)
        await asyncio.sleep(wait)
    finally:
        await sub.unsubscribe()
    return answers
