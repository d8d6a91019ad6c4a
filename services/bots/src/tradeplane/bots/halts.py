"""The kill switch as the bots see it: the halt KV bucket, read at start and then followed.

A halted user's bots (every bot under a global halt) send nothing: the host drops their intents with a
log line while the halt holds; after the release they trade again on their next run.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any
from uuid import UUID

from faststream.nats import NatsBroker
from nats.js.kv import KV_DEL, KV_PURGE
from tradeplane.contracts import HaltEngaged, streams
from tradeplane.runtime import buckets

log = logging.getLogger(__name__)


class HaltWatch:
    def __init__(self) -> None:
        self.engaged: dict[str, str] = {}
        """KV key (`global`, `user.<id>`) → the halt's reason."""
        self._task: asyncio.Task[None] | None = None

    def blocks(self, user_id: UUID) -> str | None:
        for key, scope in ((streams.halt_key(None), "global halt"), (streams.halt_key(user_id), "user halt")):
            if key in self.engaged:
                return f"{scope}: {self.engaged[key]}"
        return None

    def apply(self, key: str, value: bytes | None, operation: Any) -> None:
        if operation in (KV_DEL, KV_PURGE) or not value:
            if self.engaged.pop(key, None) is not None:
                log.warning("halt released: the bots trade again", extra={"key": key})
            return
        try:
            reason = HaltEngaged.model_validate_json(value).reason
        except ValueError:
            reason = "halted"
        if key not in self.engaged:
            log.warning("halt engaged: the bots send nothing", extra={"key": key})
        self.engaged[key] = reason

    async def load(self, broker: NatsBroker) -> None:
        """Read every halt, then keep following the bucket (before the first event is handled)."""
        kv = await broker.key_value(streams.HALT_BUCKET)
        self._task = await buckets.follow(
            kv,
            self.apply,
            name="bots-halt-watch",
            log=log,
            lost="the halt bucket watch stopped; halts are no longer followed",
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
