"""Mailbox actors: one asyncio task per key runs its jobs one at a time, in the order they were posted."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from contextlib import suppress
from typing import Any, Generic, TypeVar

from opentelemetry.context import Context
from tradeplane.runtime import telemetry

log = logging.getLogger(__name__)

S = TypeVar("S")
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

Job = Callable[[], Awaitable[Any]]


class Actor(Generic[S]):
    """Owns `state`; every job on it runs under `lock`, which others take to act on the state directly."""

    def __init__(self, name: str, state: S) -> None:
        self.name = name
        self.state = state
        self.lock = asyncio.Lock()
        self.last_active = time.monotonic()
        self._mailbox: asyncio.Queue[tuple[Job, asyncio.Future[Any], Context | None]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def post(self, job: Callable[[S], Awaitable[T]]) -> asyncio.Future[T]:
        """Queue `job(state)` now (no await, so posting order is running order); await the result.

        The job runs in the poster's trace, not in whichever trace first started the actor's task.
        """
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._mailbox.put_nowait((lambda: job(self.state), future, telemetry.capture()))
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"actor:{self.name}")
        return future

    @property
    def idle(self) -> bool:
        return self._mailbox.empty() and not self.lock.locked()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._mailbox.empty():
            _, future, _ = self._mailbox.get_nowait()
            future.cancel()

    async def _run(self) -> None:
        while True:
            job, future, trace = await self._mailbox.get()
            if future.cancelled():
                continue
            async with self.lock:
                try:
                    with telemetry.attached(trace):
                        result = await job()
                except Exception as exc:
                    if not future.done():
                        future.set_exception(exc)
                else:
                    if not future.done():
                        future.set_result(result)
            self.last_active = time.monotonic()


def log_failure(future: asyncio.Future[Any]) -> None:
    """Done-callback for a job nobody awaits (a tick, a poll): its failure is logged, not lost."""
    if not future.cancelled() and future.exception() is not None:
        log.error("actor job failed", exc_info=future.exception())


class ActorPool(Generic[K, S]):
    """Actors by key, created on first use from `make(key)`."""

    def __init__(self, make: Callable[[K], S], close: Callable[[S], Awaitable[None]] | None = None) -> None:
        self._make = make
        self._close = close
        self._actors: dict[K, Actor[S]] = {}

    def get(self, key: K) -> Actor[S]:
        actor = self._actors.get(key)
        if actor is None:
            actor = self._actors[key] = Actor(str(key), self._make(key))
        return actor

    def post(self, key: K, job: Callable[[S], Awaitable[T]]) -> asyncio.Future[T]:
        return self.get(key).post(job)

    def actors(self) -> list[Actor[S]]:
        return list(self._actors.values())

    def __len__(self) -> int:
        return len(self._actors)

    async def stop_idle(self, max_idle: float, keep: Callable[[S], bool]) -> int:
        """Stop actors idle for `max_idle` seconds whose state `keep` does not want kept."""
        now = time.monotonic()
        stale = [
            key
            for key, actor in self._actors.items()
            if actor.idle and now - actor.last_active > max_idle and not keep(actor.state)
        ]
        # Detach them all before the first await, so a job posted meanwhile gets a fresh actor.
        stopping = [self._actors.pop(key) for key in stale]
        for actor in stopping:
            await self._retire(actor)
        return len(stopping)

    async def drain(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for every actor to finish the jobs queued so far."""
        markers = [actor.post(_nothing) for actor in self._actors.values()]
        if markers:
            await asyncio.wait(markers, timeout=timeout)

    async def stop(self) -> None:
        stopping, self._actors = list(self._actors.values()), {}
        for actor in stopping:
            await self._retire(actor)

    async def _retire(self, actor: Actor[S]) -> None:
        await actor.stop()
        if self._close is not None:
            try:
                await self._close(actor.state)
            except Exception:
                log.warning("closing an actor's state failed", exc_info=True)


async def _nothing(state: object) -> None:
    return None
