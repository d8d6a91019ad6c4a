"""The durable delivery loop: claims due deliveries under a lease and runs each as its own task.

Work lives in the database, never only in memory: a delivery is claimed with `FOR UPDATE SKIP LOCKED`
and a lease, so replicas share it and a worker that dies simply lets its leases run out. Each
delivery is one task, and an endpoint holds at most a few leases at a time, so a slow endpoint only
ever delays itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from . import deliveries
from .deliveries import Claimed
from .dispatch import Followup

log = logging.getLogger(__name__)

Dispatch = Callable[[Claimed], Awaitable[Followup]]

# A retry timer fires this much after the retry is due, so the claim does not run a moment early.
_TIMER_SLACK = 0.02


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    owner: str
    """This process's identity on leases; a restarted process with the same one takes its leases back."""
    max_in_flight: int = 200
    per_endpoint: int = 2
    lease_seconds: float = 30.0
    poll_seconds: float = 1.0
    drain_seconds: float = 5.0
    """On stop, how long attempts in flight may finish before they are cancelled."""


class DeliveryWorker:
    def __init__(self, engine: AsyncEngine, dispatch: Dispatch, options: WorkerOptions) -> None:
        self._engine = engine
        self._dispatch = dispatch
        self._options = options
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """New work was committed: claim now rather than at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        async with self._engine.begin() as conn:
            # Leases under our own name belong to a previous life of this process: nobody sends them.
            taken_back = await deliveries.release(conn, self._options.owner)
        if taken_back:
            log.info("took back deliveries leased before a restart", extra={"count": taken_back})
        self._runner = asyncio.create_task(self._run(), name="webhook-worker")

    async def stop(self) -> None:
        """Stop claiming, let attempts in flight finish briefly, then cancel them and hand them back."""
        await _cancel([self._runner] if self._runner is not None else [])
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self._options.drain_seconds)
        await _cancel(list(self._tasks))
        try:
            async with self._engine.begin() as conn:
                await deliveries.release(conn, self._options.owner)
        except Exception:
            log.exception("could not release leases; they will expire on their own")

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                more = await self._fill()
            except Exception:
                log.exception("claiming deliveries failed")
                more = False
            if not more:
                await self._idle()

    async def _fill(self) -> bool:
        """Claim as many deliveries as there is room for; True when more may be due right away."""
        room = self._options.max_in_flight - len(self._tasks)
        if room <= 0:
            return False
        async with self._engine.begin() as conn:
            claimed = await deliveries.claim(
                conn,
                self._options.owner,
                limit=room,
                per_endpoint=self._options.per_endpoint,
                lease_seconds=self._options.lease_seconds,
            )
        for item in claimed:
            task = asyncio.create_task(self._one(item), name=f"webhook-{item.id}")
            self._tasks.add(task)
            task.add_done_callback(self._finished)
        return len(claimed) == room

    async def _idle(self) -> None:
        with suppress(TimeoutError):
            async with asyncio.timeout(self._options.poll_seconds):
                await self._wake.wait()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        # A finished delivery frees a slot, and maybe its endpoint's share.
        self._wake.set()

    async def _one(self, claimed: Claimed) -> None:
        try:
            followup = await self._dispatch(claimed)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The lease is kept until it runs out: retrying at once could hammer the endpoint.
            log.exception("a delivery attempt could not be completed", extra={"delivery": str(claimed.id)})
            return
        if followup.retry_in is not None:
            asyncio.get_running_loop().call_later(followup.retry_in + _TIMER_SLACK, self._wake.set)
        if followup.queued_more:
            self._wake.set()

    async def check(self) -> None:
        """Health: the claiming loop must be running."""
        if self._runner is None or self._runner.done():
            raise RuntimeError("the delivery worker is not running")


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError):
            await task
