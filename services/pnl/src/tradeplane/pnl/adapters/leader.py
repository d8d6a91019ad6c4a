"""One replica at a time runs the timers: the one holding a PostgreSQL session advisory lock.

The lock lives as long as the connection that took it, so a replica that dies (or loses its
database connection) hands the timers to another within one check interval.
"""

from __future__ import annotations

import logging
import zlib
from contextlib import suppress

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)


class Leader:
    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.engine = engine
        self.name = name
        self.key = zlib.crc32(f"tradeplane:leader:{name}".encode())
        self._conn: AsyncConnection | None = None

    @property
    def is_leader(self) -> bool:
        return self._conn is not None

    async def check(self) -> bool:
        """Confirm the lock is still held, or try to take it; True while this replica leads."""
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                await self._conn.commit()
                return True
            except Exception:
                log.warning("lost the leader connection", extra={"leader": self.name})
                await self._drop()
        await self._try_take()
        return self.is_leader

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            await conn.commit()
            await conn.close()
        except Exception:
            with suppress(Exception):
                await conn.invalidate()

    async def _try_take(self) -> None:
        try:
            conn = await self.engine.connect()
        except Exception:
            log.warning("no database connection to take the leader lock", extra={"leader": self.name})
            return
        try:
            got = (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})).scalar()
            await conn.commit()
        except Exception:
            with suppress(Exception):
                await conn.invalidate()
            return
        if got:
            self._conn = conn
            log.info("leading the timers", extra={"leader": self.name})
        else:
            await conn.close()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            # Closing the server connection is what releases a session lock we can no longer reach.
            with suppress(Exception):
                await conn.invalidate()
