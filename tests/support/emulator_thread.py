"""The Kraken emulator served from a background thread with its own event loop, driven from sync tests."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest

from tests.support.client import User, connect_kraken, new_secret, register
from tests.support.kraken_emulator import KrakenEmulator
from tests.support.market import publish_ticker
from tests.support.servers import Stack, module_stack, run_async

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


def emulator_fixture(hang_seconds: float) -> Callable[[], Iterator[EmulatorThread]]:
    """A module-scoped `emulator` fixture: the emulator in its thread, holding a hung call that long."""

    @pytest.fixture(scope="module")
    def emulator() -> Iterator[EmulatorThread]:
        with EmulatorThread(hang_seconds=hang_seconds) as running:
            yield running

    return emulator


def kraken_stack(
    name: str, env: Mapping[str, str], btc_price: Decimal | None = None
) -> Callable[..., Iterator[Stack]]:
    """A module-scoped stack fixture whose ccxt venue "kraken" is the `emulator` fixture's (ccxt's own
    rate limiter off), with a first BTC/USDT ticker at `btc_price` when given: risk judges a market
    order's size at the last price any venue reported."""

    @pytest.fixture(scope="module")
    def stack(
        emulator: EmulatorThread, postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[Stack]:
        kraken = {"TP_CCXT_API_URLS": json.dumps({"kraken": emulator.url}), "TP_CCXT_RATE_LIMIT": "false"}
        workdir = tmp_path_factory.mktemp(name)
        with module_stack(workdir, postgres_server_url, env={**kraken, **env}) as running:
            if btc_price is not None:
                run_async(lambda: publish_ticker(running.nats_url, "BTC/USDT", btc_price))
            yield running

    return stack


def kraken_trader(
    api: httpx.Client, emulator: EmulatorThread, key: str | None = None
) -> tuple[User, str, str]:
    """A new trader with a Kraken key funded with 10 000 USDT on the emulator and connected to it:
    (user, api key, venue id)."""
    user, key, secret = register(api), key or f"key-{uuid.uuid4().hex[:8]}", new_secret()
    emulator.call(emulator.emulator.add_account, key, secret, {"USDT": Decimal(10_000)})
    connected = connect_kraken(api, user, key, secret)
    assert connected.status_code == 201, connected.text
    return user, key, connected.json()["data"]["id"]
