"""Following a JetStream KV bucket: read every entry at start, then apply each change as it comes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from nats.js.kv import KeyValue

Apply = Callable[[str, bytes | None, Any], None]
"""Called with an entry's key, value and operation (`KV_DEL`/`KV_PURGE` for a removal, else None)."""


async def follow(
    kv: KeyValue, apply: Apply, *, name: str, log: logging.Logger, lost: str
) -> asyncio.Task[None]:
    """Apply every entry the bucket holds now, then return the task that applies each later change.

    The task logs `lost` (with the exception) on `log` if the watch breaks; cancel it to stop following.
    """
    watcher = await kv.watchall()
    async for entry in watcher:
        if entry is None:
            break
        apply(entry.key, entry.value, entry.operation)
    return asyncio.create_task(_changes(watcher, apply, log, lost), name=name)


async def _changes(watcher: Any, apply: Apply, log: logging.Logger, lost: str) -> None:
    try:
        async for entry in watcher:
            if entry is not None:
                apply(entry.key, entry.value, entry.operation)
    except Exception:
        log.exception(lost)
