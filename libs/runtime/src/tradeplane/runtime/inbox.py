"""Idempotent consumers: a message is processed once per consumer, recorded in the same transaction."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import CTE, MetaData
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection


class Inbox:
    def __init__(self, metadata: MetaData) -> None:
        self.table = metadata.tables[f"{metadata.schema}.processed_messages"]

    async def claim(self, conn: AsyncConnection, consumer: str, event_id: UUID) -> bool:
        """True the first time (consumer, event_id) is seen in a committed transaction; False on
        redelivery."""
        stmt = (
            insert(self.table)
            .values(consumer=consumer, event_id=event_id)
            .on_conflict_do_nothing()
            .returning(self.table.c.event_id)
        )
        return (await conn.execute(stmt)).first() is not None

    def claiming(self, consumer: str, event_id: UUID) -> CTE:
        """The claim as a CTE (one row when it is the first time) for a caller's own statement to carry:
        e.g. `SELECT ..., EXISTS (SELECT FROM claim) ... FOR UPDATE`, one round trip for both."""
        return (
            insert(self.table)
            .values(consumer=consumer, event_id=event_id)
            .on_conflict_do_nothing()
            .returning(self.table.c.event_id)
            .cte("claim")
        )
