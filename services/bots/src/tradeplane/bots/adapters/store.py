"""The host's store on PostgreSQL: every change of one event in one outbox transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Executable, Row, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tradeplane.contracts import BotStatus
from tradeplane.runtime import Outbox

from ..model import BotChange, BotRecord, FillRow, LogRow, NewOrder, OrderStatus
from .tables import bot_fills, bot_logs, bot_orders, bots

_MUTABLE = (
    "name",
    "config",
    "allocation",
    "dry_run",
    "status",
    "error",
    "snapshot",
    "next_run",
    "cursors",
    "started_at",
    "last_activity",
    "last_run_at",
    "next_run_at",
)


_BOT = tuple(f.name for f in fields(BotRecord))
"""The columns of `bots`, each a field of `BotRecord`."""
_LOG = tuple(f.name for f in fields(LogRow))
_FILL = tuple(f.name for f in fields(FillRow))
_ORDER = tuple(f.name for f in fields(NewOrder) if f.name not in ("subject", "request"))


def _pick(source: Any, names: Sequence[str]) -> dict[str, Any]:
    """The attributes `names` of a row or record, by name (a column's value from the field of its name)."""
    return {name: getattr(source, name) for name in names}


def record(row: Row[Any]) -> BotRecord:
    return BotRecord(**{**_pick(row, _BOT), "status": BotStatus(row.status)})


def _values(bot: BotRecord, names: Sequence[str] = _MUTABLE) -> dict[str, Any]:
    return {**_pick(bot, names), "status": bot.status.value}


async def _execute(conn: AsyncConnection, statement: Executable, rows: list[dict[str, Any]]) -> None:
    """One statement for many rows; one row (a single bot's event, the usual case) goes as a plain
    execute, which skips the driver's pipeline set-up for an executemany of one."""
    await conn.execute(statement, rows[0] if len(rows) == 1 else rows)


class SqlStore:
    def __init__(self, engine: AsyncEngine, outbox: Outbox) -> None:
        self.engine = engine
        self.outbox = outbox

    async def load_active(self, partitions: tuple[int, ...]) -> list[BotRecord]:
        active = [BotStatus.RUNNING.value, BotStatus.PAUSED.value]
        query = select(bots).where(bots.c.partition.in_(partitions), bots.c.status.in_(active))
        async with self.engine.connect() as conn:
            return [record(row) for row in await conn.execute(query)]

    async def get(self, bot_id: UUID) -> BotRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(bots).where(bots.c.id == bot_id))).first()
        return None if row is None else record(row)

    async def insert(self, bot: BotRecord) -> None:
        values = _values(bot, _BOT)
        async with self.engine.begin() as conn:
            await conn.execute(bots.insert().values(**values))

    async def delete(self, bot_id: UUID) -> None:
        async with self.engine.begin() as conn:
            for table in (bot_fills, bot_orders, bot_logs):
                await conn.execute(delete(table).where(table.c.bot_id == bot_id))
            await conn.execute(delete(bots).where(bots.c.id == bot_id))

    async def commit(self, changes: list[BotChange]) -> None:
        async with self.outbox.transaction() as tx:
            conn = tx.conn
            rows = [{"b_id": c.bot.id, **_values(c.bot)} for c in changes]
            await _execute(conn, update(bots).where(bots.c.id == bindparam("b_id")), rows)
            logs = [_pick(r, _LOG) for c in changes for r in c.logs]
            if logs:
                await _execute(conn, bot_logs.insert(), logs)
            orders = [o for c in changes for o in c.orders]
            if orders:
                new = await self._insert_orders(conn, orders)
                for order in orders:
                    if order.order_id in new:
                        tx.emit(order.subject, order.request)
            fills = [f for c in changes for f in c.fills]
            if fills:
                rows = [_pick(f, _FILL) for f in fills]
                await _execute(conn, insert(bot_fills).on_conflict_do_nothing(), rows)
            for change in changes:
                for up in change.updates:
                    values: dict[str, Any] = {
                        "status": up.status,
                        "fees": bot_orders.c.fees + up.fee,
                        "updated_at": func.now(),
                    }
                    if up.filled_quantity is not None:
                        values["filled_quantity"] = up.filled_quantity
                    if up.reason is not None:
                        values["reason"] = up.reason
                    await conn.execute(
                        update(bot_orders).where(bot_orders.c.order_id == up.order_id).values(values)
                    )
                for subject, message in change.events:
                    tx.emit(subject, message)

    async def _insert_orders(self, conn: AsyncConnection, orders: Sequence[Any]) -> set[UUID]:
        rows = [
            {
                **_pick(o, _ORDER),
                "status": OrderStatus.PENDING,
                "filled_quantity": Decimal(0),
                "fees": Decimal(0),
                "updated_at": o.created_at,
            }
            for o in orders
        ]
        stmt = insert(bot_orders).values(rows).on_conflict_do_nothing().returning(bot_orders.c.order_id)
        return {row.order_id for row in await conn.execute(stmt)}

    async def open_orders(self, partitions: tuple[int, ...]) -> dict[UUID, UUID]:
        query = (
            select(bot_orders.c.order_id, bot_orders.c.bot_id)
            .join(bots, bots.c.id == bot_orders.c.bot_id)
            .where(bot_orders.c.status.in_(OrderStatus.OPEN), bots.c.partition.in_(partitions))
        )
        async with self.engine.connect() as conn:
            return {row.order_id: row.bot_id for row in await conn.execute(query)}

    async def order_status(self, order_id: UUID) -> tuple[str, Decimal] | None:
        query = select(bot_orders.c.status, bot_orders.c.filled_quantity).where(
            bot_orders.c.order_id == order_id
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else (row.status, row.filled_quantity)

    async def has_fill(self, order_id: UUID, fill_id: str) -> bool:
        query = select(bot_fills.c.order_id).where(
            bot_fills.c.order_id == order_id, bot_fills.c.fill_id == fill_id
        )
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).first() is not None

    # --- reads for queries ----------------------------------------------------------------

    async def page(
        self, user_id: UUID | None, status: str | None, page: int, page_size: int
    ) -> tuple[list[BotRecord], int]:
        where = []
        if user_id is not None:
            where.append(bots.c.user_id == user_id)
        if status is not None:
            where.append(bots.c.status == status)
        query = select(bots).where(*where).order_by(bots.c.created_at.desc(), bots.c.id)
        async with self.engine.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(bots).where(*where))).scalar_one()
            rows = await conn.execute(query.offset((page - 1) * page_size).limit(page_size))
            return [record(row) for row in rows], total

    async def logs(
        self, bot_id: UUID, level: str | None, page: int, page_size: int
    ) -> tuple[list[Row[Any]], int]:
        where = [bot_logs.c.bot_id == bot_id]
        if level is not None:
            where.append(bot_logs.c.level == level)
        query = select(bot_logs).where(*where).order_by(bot_logs.c.id.desc())
        async with self.engine.connect() as conn:
            total = (
                await conn.execute(select(func.count()).select_from(bot_logs).where(*where))
            ).scalar_one()
            rows = await conn.execute(query.offset((page - 1) * page_size).limit(page_size))
            return list(rows), total

    async def orders(self, bot_id: UUID) -> list[Row[Any]]:
        query = (
            select(bot_orders).where(bot_orders.c.bot_id == bot_id).order_by(bot_orders.c.created_at.desc())
        )
        async with self.engine.connect() as conn:
            return list(await conn.execute(query))

    async def fills(self, bot_ids: Sequence[UUID]) -> dict[UUID, list[Row[Any]]]:
        found: dict[UUID, list[Row[Any]]] = {bot_id: [] for bot_id in bot_ids}
        if not bot_ids:
            return found
        query = (
            select(bot_fills)
            .where(bot_fills.c.bot_id.in_(bot_ids))
            .order_by(bot_fills.c.filled_at, bot_fills.c.order_id, bot_fills.c.fill_id)
        )
        async with self.engine.connect() as conn:
            for row in await conn.execute(query):
                found[row.bot_id].append(row)
        return found
