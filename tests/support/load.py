"""Many orders placed at once through the public API from worker threads, retrying as a client would."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.client import User

RETRY_PAUSE = 0.3


@dataclass
class Placement:
    """One order a client wants placed: who, what, and every answer the gateway gave to it."""

    user: User
    body: dict[str, Any]
    order_ids: list[str] = field(default_factory=list)
    failures: int = 0


class Placer:
    """Posts placements from `workers` threads; a failed request (no answer, 5xx) is sent again with the
    same clientOrderId until it is answered or `give_up_after` seconds pass. `pace` spreads each worker's
    requests out, so that a crash meets a stream of orders rather than the end of a burst."""

    def __init__(self, base_url: str, workers: int = 8, pace: float = 0.0, give_up_after: float = 90) -> None:
        self.base_url = base_url
        self.pace = pace
        self.give_up_after = give_up_after
        self.answered = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="placer")
        self._clients: list[httpx.Client] = []

    def submit(self, placements: Sequence[Placement]) -> list[Future[Placement]]:
        return [self._pool.submit(self._place, p) for p in placements]

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        for client in self._clients:
            client.close()

    def _client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.base_url, timeout=15)
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _place(self, placement: Placement) -> Placement:
        time.sleep(self.pace)
        deadline = time.monotonic() + self.give_up_after
        while True:
            response = self._post(placement)
            if response is not None and response.status_code < 500:
                assert response.status_code == 202, response.text
                placement.order_ids.append(response.json()["data"]["order"]["id"])
                with self._lock:
                    self.answered += 1
                return placement
            placement.failures += 1
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer for {placement.body['clientOrderId']} after retries")
            time.sleep(RETRY_PAUSE)

    def _post(self, placement: Placement) -> httpx.Response | None:
        try:
            return self._client().post("/api/orders", json=placement.body, headers=placement.user.headers)
        except httpx.TransportError:
            return None


@contextmanager
def placing(base_url: str, placements: Sequence[Placement], **options: Any) -> Iterator[Placer]:
    """Place `placements` from worker threads (a `Placer` with `options`) while the block runs; after
    it, wait for every placement: a placing thread's error fails the test."""
    placer = Placer(base_url, **options)
    try:
        futures = placer.submit(placements)
        yield placer
    finally:
        placer.close()
    for future in futures:
        future.result()
