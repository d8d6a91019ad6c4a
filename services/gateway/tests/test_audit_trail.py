"""The request audit trail: requests answered while a write is under way share the next transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from tradeplane.gateway.audit_trail import Recorder
from tradeplane.runtime import Outbox


class Tx:
    def __init__(self) -> None:
        self.emitted: list[Any] = []

    def emit(self, subject: str, message: Any, headers: dict[str, str] | None = None) -> None:
        self.emitted.append(message)


class SlowOutbox:
    """An outbox whose first transaction waits until released; records what each one committed."""

    def __init__(self) -> None:
        self.committed: list[list[str]] = []
        self.writing = asyncio.Event()
        self.release = asyncio.Event()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        tx = Tx()
        self.writing.set()
        await self.release.wait()
        yield tx
        self.committed.append([message.details["ip"] for message in tx.emitted])


def request(ip: str) -> dict[str, Any]:
    return {"actor": "u", "method": "POST", "route": "/api/orders", "status": 202, "ip": ip, "userAgent": ""}


async def test_requests_during_a_write_are_recorded_together_in_the_next_transaction() -> None:
    outbox = SlowOutbox()
    recorder = Recorder(cast(Outbox, outbox))
    recorder.start()
    try:
        await recorder.record(request("10.0.0.0"))
        await outbox.writing.wait()  # the first entry is being written alone (nothing waits on purpose)
        for i in range(1, 6):
            await recorder.record(request(f"10.0.0.{i}"))
        outbox.release.set()
    finally:
        await recorder.stop()
    assert outbox.committed == [["10.0.0.0"], [f"10.0.0.{i}" for i in range(1, 6)]]
