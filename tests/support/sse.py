"""A Server-Sent Events reader over an httpx streaming response, for the tests of /api/stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


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
