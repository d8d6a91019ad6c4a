"""Risk's periodic work: the heartbeat executors watch, and the sweep that ends expired halts.

Each runs in a `runtime.Periodic` loop started by `app.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import orjson
from tradeplane.contracts import subjects, utcnow
from tradeplane.runtime import Runtime

from . import metrics
from .adapters import repo
from .tracking import Tracker

log = logging.getLogger(__name__)


def heartbeat(rt: Runtime) -> Callable[[], Awaitable[None]]:
    """Publish on core NATS that risk is alive (not stored: only the latest beat matters)."""
    subject = subjects.heartbeat("risk")
    instance = rt.settings.instance_id

    async def beat() -> None:
        body = orjson.dumps({"service": "risk", "instance": instance, "at": utcnow().isoformat()})
        await rt.broker.config.connection_state.connection.publish(subject, body)

    return beat


def sweep(rt: Runtime, tracker: Tracker) -> Callable[[], Awaitable[None]]:
    """Lift halts whose time is up, so their end is announced even when the user sends no order."""

    async def run() -> None:
        now = utcnow()
        async with rt.engine.connect() as conn:
            ended = await repo.halts_ended(conn, now)
        for user_id in ended:
            await tracker.roll(user_id, now)
        async with rt.engine.connect() as conn:
            metrics.USERS_HALTED.set(await repo.count_halted(conn))
        if ended:
            log.info("halts ended", extra={"users": len(ended)})

    return run
