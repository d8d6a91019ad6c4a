"""The notifier's periodic work: purging settled deliveries older than their retention."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from .adapters import deliveries

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 3600.0


def purge(engine: AsyncEngine, retention_days: int) -> Callable[[], Awaitable[None]]:
    """Delete settled deliveries older than `retention_days` from the log."""

    async def run() -> None:
        async with engine.begin() as conn:
            purged = await deliveries.purge(conn, retention_days)
        if purged:
            log.info("purged old webhook deliveries", extra={"count": purged})

    return run
