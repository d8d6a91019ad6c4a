"""The Kraken emulator served from a background thread with its own event loop, driven from sync tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from tests.support.kraken_emulator import KrakenEmulator

T = TypeVar("T")


class EmulatorThread:
    """Runs a KrakenEmulator where service processes can reach it; every control runs on its loop."""

    def __init__(self, **options: Any) -> None:
        self.emulator = KrakenEmulator(**options)
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kraken-emulator", daemon=True)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._thread.start()
        self.url = self._run(self.emulator.start(host, port))
        return self.url

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._run(self.emulator.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on the emulator's loop, so it never races a request being served."""

        async def run() -> T:
            return fn(*args)

        return self._run(run())

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(30)

    def __enter__(self) -> EmulatorThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
