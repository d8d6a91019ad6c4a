"""SQL of the order view: intake (idempotent by client order id), queries, and lifecycle updates."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CTE, Row, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningInsert
from tradeplane.contracts import OrderStatus, RejectCode

from ..domain.projection import Progress
from .tables import orders


def insert_order(**values: Any) -> ReturningInsert[Any]:
    """Insert a new order, returning its row; no row when the user already has one with this client
    order id. Concurrent inserts of the same key wait on the unique index: exactly one wins. Intake runs
    it through `Outbox.statement()`, whose event insert is guarded by the returned row."""
    return (
        insert(orders)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[orders.c.user_id, orders.c.client_order_id])
        .returning(*orders.c)
    )


async def insert_if_new(conn: AsyncConnection, **values: Any) -> None:
    """Record an order first seen on the bus (e.g. from a bot); nothing if it is already known."""
    await conn.execute(insert(orders).values(**values).on_conflict_do_nothing())


async def by_id(conn: AsyncConnection, user_id: UUID, order_id: UUID) -> Row[Any] | None:
    stmt = select(orders).where(orders.c.order_id == order_id, orders.c.user_id == user_id)
    return (await conn.execute(stmt)).first()


async def by_client_id(conn: AsyncConnection, user_id: UUID, client_order_id: str) -> Row[Any] | None:
    stmt = select(orders).where(orders.c.user_id == user_id, orders.c.client_order_id == client_order_id)
    return (await conn.execute(stmt)).first()


async def page(
    conn: AsyncConnection,
    user_id: UUID,
    *,
    statuses: Collection[OrderStatus] = (),
    symbol: str | None = None,
    account_id: UUID | None = None,
    bot_id: UUID | None = None,
    offset: int = 0,
    limit: int = 20,
) -> tuple[Sequence[Row[Any]], int]:
    conditions = [orders.c.user_id == user_id]
    if statuses:
        conditions.append(orders.c.status.in_([s.value for s in statuses]))
    if symbol:
        conditions.append(orders.c.symbol == symbol)
    if account_id:
        conditions.append(orders.c.account_id == account_id)
    if bot_id:
        conditions.append(orders.c.bot_id == bot_id)
    # One statement: the page and, on each row, how many match (a window count over the filtered set).
    rows = (
        await conn.execute(
            select(orders, func.count().over().label("total"))
            .where(*conditions)
            .order_by(orders.c.created_at.desc(), orders.c.order_id)
            .offset(offset)
            .limit(limit)
        )
    ).all()
    if rows:
        return rows, int(rows[0].total)
    if offset == 0:
        return rows, 0
    # A page past the end: count apart.
    total = (await conn.execute(select(func.count()).select_from(orders).where(*conditions))).scalar_one()
    return rows, int(total)


async def lock(conn: AsyncConnection, order_id: UUID, claim: CTE) -> Row[Any] | None:
    """The order's row, locked, with `claimed`: whether the inbox `claim` (a CTE) was new."""
    stmt = (
        select(orders, exists(claim.select()).label("claimed"))
        .where(orders.c.order_id == order_id)
        .with_for_update(of=orders)
    )
    return (await conn.execute(stmt)).first()


def progress_of(row: Row[Any]) -> Progress:
    return Progress(
        status=OrderStatus(row.status),
        quantity=row.quantity,
        filled_quantity=row.filled_quantity,
        fill_notional=row.fill_notional,
        fee=row.fee,
        executed_at=row.executed_at,
        error=row.error,
        reject_reason=row.reject_reason,
        reject_code=None if row.reject_code is None else RejectCode(row.reject_code),
    )


async def save_progress(conn: AsyncConnection, order_id: UUID, p: Progress) -> None:
    await conn.execute(
        update(orders)
        .where(orders.c.order_id == order_id)
        .values(
            status=p.status.value,
            filled_quantity=p.filled_quantity,
            fill_notional=p.fill_notional,
            average_price=p.average_price,
            fee=p.fee,
            executed_at=p.executed_at,
            error=p.error,
            reject_reason=p.reject_reason,
            reject_code=None if p.reject_code is None else p.reject_code.value,
            updated_at=func.now(),
        )
    )


async def counts(conn: AsyncConnection, since: datetime) -> dict[str, int]:
    """Orders by status, plus `today`: those created since `since`."""
    by_status = await conn.execute(select(orders.c.status, func.count()).group_by(orders.c.status))
    result = {status: int(n) for status, n in by_status.all()}
    today = await conn.execute(select(func.count()).select_from(orders).where(orders.c.created_at >= since))
    result["today"] = int(today.scalar_one())
    return result


async def count_by_user(conn: AsyncConnection, user_ids: Collection[UUID]) -> dict[UUID, dict[str, int]]:
    """Per user: all orders, and those still open (not terminal)."""
    if not user_ids:
        return {}
    terminal = [s.value for s in OrderStatus if s.is_terminal]
    stmt = (
        select(
            orders.c.user_id,
            func.count().label("total"),
            func.count().filter(orders.c.status.not_in(terminal)).label("open"),
        )
        .where(orders.c.user_id.in_(list(user_ids)))
        .group_by(orders.c.user_id)
    )
    return {row.user_id: {"total": int(row.total), "open": int(row.open)} for row in await conn.execute(stmt)}
