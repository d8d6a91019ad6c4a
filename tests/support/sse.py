"""A Server-Sent Events reader over an httpx streaming response, for the tests of /api/stream."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.client import User, eventually


@dataclass(frozen=True)
class Event:
    id: int | None
    type: str
    data: Any


async def events(response: httpx.Response) -> AsyncIterator[Event]:
    """The events of an open `text/event-stream` response (comments skipped), as they arrive."""
    event_id: int | None = None
    kind = "message"
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield Event(event_id, kind, json.loads("\n".join(data)))
            event_id, kind, data = None, "message", []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "id":
                event_id = int(value)
            elif field == "event":
                kind = value
            elif field == "data":
                data.append(value)


READ_LIMIT = 60.0
"""A stream read that never sees what it waits for fails the test instead of hanging it."""


class Reader:
    """One SSE connection read in the background into `seen`."""

    def __init__(
        self, http: httpx.AsyncClient, who: User, last_event_id: int | None = None, channel: str = "orders"
    ) -> None:
        headers = dict(who.headers)
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.seen: list[Event] = []
        self.status = 0
        self._task = asyncio.create_task(self._read(http, f"/api/stream/{channel}", headers))

    async def _read(self, http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
        async with http.stream("GET", path, headers=headers, timeout=None) as response:
            self.status = response.status_code
            async for event in events(response):
                self.seen.append(event)

    async def until(self, done: Callable[[list[Event]], bool]) -> list[Event]:
        async def check() -> list[Event]:
            if self._task.done():
                self._task.result()  # the stream ended: raise why
                raise AssertionError(f"the stream closed ({self.status}); it sent {self.seen}")
            return self.seen

        return await eventually(check, done, READ_LIMIT)

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
