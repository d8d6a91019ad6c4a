"""Risk's periodic work: the heartbeat executors watch, and the sweep that ends expired halts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

import orjson
from tradeplane.contracts import subjects, utcnow
from tradeplane.runtime import Runtime

from . import metrics
from .adapters import repo
from .tracking import Tracker

log = logging.getLogger(__name__)


class Periodic:
    """Named loops calling a function every few seconds; a failure is logged and the loop goes on."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, name: str, every: float, fn: Callable[[], Awaitable[None]]) -> None:
        self._tasks.append(asyncio.create_task(self._loop(name, every, fn), name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    @staticmethod
    async def _loop(name: str, every: float, fn: Callable[[], Awaitable[None]]) -> None:
        while True:
            try:
                await fn()
            except Exception:
                log.exception("periodic task failed", extra={"task": name})
            await asyncio.sleep(every)


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
