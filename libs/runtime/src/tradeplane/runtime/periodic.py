"""Named loops that call a function every few seconds: each service's periodic work runs in one."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress

log = logging.getLogger(__name__)


class Periodic:
    """A failure is logged and the loop goes on; `stop` cancels every loop and waits for it."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []

    def start(
        self, name: str, every: float, fn: Callable[[], Awaitable[object]], *, at_once: bool = True
    ) -> None:
        """Call `fn` every `every` seconds: first right away, or after one wait when not `at_once`."""
        self._tasks.append(asyncio.create_task(_loop(name, every, fn, at_once), name=name))

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        self._tasks = []


async def cancel_all(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Cancel every task, then wait until each has ended."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError):
            await task


async def _loop(name: str, every: float, fn: Callable[[], Awaitable[object]], at_once: bool) -> None:
    if not at_once:
        await asyncio.sleep(every)
    while True:
        try:
            await fn()
        except Exception:
            log.exception("periodic task failed; it runs again next time", extra={"task": name})
        await asyncio.sleep(every)
