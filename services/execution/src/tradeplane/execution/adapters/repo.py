"""SQL of the execution schema: orders, fills, early cancels, paper engine state, the unfinished-order
scan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, Row, Update, Uuid, any_, bindparam, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import OrderStatus, OrderType, Side
from tradeplane.runtime import Tx

from ..domain.order_state import OrderRecord, SendState
from ..outcomes import OrderContext, Outcome, TrackedOrder
from .tables import cancel_requests, fills, orders, paper_state

UNFINISHED = (OrderStatus.PENDING.value, OrderStatus.OPEN.value, OrderStatus.PARTIALLY_FILLED.value)


async def order_row(conn: AsyncConnection, order_id: UUID) -> Row[Any] | None:
    return (await conn.execute(select(orders).where(orders.c.order_id == order_id))).first()


async def arrival(conn: AsyncConnection, order_id: UUID) -> tuple[SendState | None, str | None]:
    """The order row's send state and the reason of a cancel waiting for it, in one round trip."""
    state = select(orders.c.send_state).where(orders.c.order_id == order_id).scalar_subquery()
    reason = select(cancel_requests.c.reason).where(cancel_requests.c.order_id == order_id).scalar_subquery()
    row = (await conn.execute(select(state, reason))).one()
    return (None if row[0] is None else SendState(row[0])), row[1]


async def remember_cancel(
    conn: AsyncConnection, order_id: UUID, account_id: UUID, user_id: UUID, reason: str
) -> None:
    """Record a cancel for an order not sent yet; the same cancel again changes nothing."""
    values = {"order_id": order_id, "account_id": account_id, "user_id": user_id, "reason": reason[:200]}
    await conn.execute(insert(cancel_requests).values(values).on_conflict_do_nothing())


async def prune_cancels(conn: AsyncConnection, before: datetime) -> int:
    """Forget cancels recorded before `before` (their orders were settled or refused by risk long ago)."""
    result = await conn.execute(delete(cancel_requests).where(cancel_requests.c.requested_at < before))
    return int(result.rowcount or 0)


async def unfinished_orders(
    conn: AsyncConnection, account_id: UUID | None = None, user_id: UUID | None = None
) -> list[Row[Any]]:
    query = select(orders).where(orders.c.status.in_(UNFINISHED))
    if account_id is not None:
        query = query.where(orders.c.account_id == account_id)
    if user_id is not None:
        query = query.where(orders.c.user_id == user_id)
    return list((await conn.execute(query.order_by(orders.c.created_at))).all())


async def count_unfinished(conn: AsyncConnection, account_id: UUID) -> int:
    query = select(func.count()).where(orders.c.account_id == account_id, orders.c.status.in_(UNFINISHED))
    return int((await conn.execute(query)).scalar_one())


async def fill_ids(conn: AsyncConnection, order_ids: Sequence[UUID]) -> dict[UUID, frozenset[str]]:
    if not order_ids:
        return {}
    rows = await conn.execute(
        select(fills.c.order_id, fills.c.fill_id).where(fills.c.order_id.in_(order_ids))
    )
    found: dict[UUID, set[str]] = {}
    for order_id, fill_id in rows:
        found.setdefault(order_id, set()).add(fill_id)
    return {order_id: frozenset(ids) for order_id, ids in found.items()}


def tracked_from_row(row: Row[Any], venue: str, partition: int, known_fills: frozenset[str]) -> TrackedOrder:
    ctx = OrderContext(
        order_id=row.order_id,
        user_id=row.user_id,
        account_id=row.account_id,
        venue=venue,
        symbol=row.symbol,
        side=Side(row.side),
        type=OrderType(row.type),
        quantity=Decimal(row.quantity),
        price=None if row.price is None else Decimal(row.price),
        stop_price=None if row.stop_price is None else Decimal(row.stop_price),
        partition=partition,
        correlation_id=row.correlation_id,
    )
    record = OrderRecord(
        order_id=str(row.order_id),
        quantity=ctx.quantity,
        status=OrderStatus(row.status),
        filled_quantity=Decimal(row.filled_quantity),
        notional=Decimal(row.notional),
        fees=Decimal(row.fees),
        fill_ids=known_fills,
        venue_order_id=row.venue_order_id,
        reason=row.reason,
    )
    return TrackedOrder(ctx, record)


def _order_values(ctx: OrderContext, record: OrderRecord, send_state: SendState) -> dict[str, Any]:
    return {
        "order_id": ctx.order_id,
        "account_id": ctx.account_id,
        "user_id": ctx.user_id,
        "client_order_id": ctx.client_order_id,
        "symbol": ctx.symbol,
        "side": ctx.side.value,
        "type": ctx.type.value,
        "quantity": ctx.quantity,
        "price": ctx.price,
        "stop_price": ctx.stop_price,
        "status": record.status.value,
        "send_state": send_state.value,
        "venue_order_id": record.venue_order_id,
        "filled_quantity": record.filled_quantity,
        "notional": record.notional,
        "fees": record.fees,
        "reason": record.reason[:500],
        "correlation_id": ctx.correlation_id,
    }


def _upsert_order() -> Any:
    stmt = insert(orders)
    changing = ("status", "send_state", "venue_order_id", "filled_quantity", "notional", "fees", "reason")
    return stmt.on_conflict_do_update(
        index_elements=[orders.c.order_id],
        set_={**{name: stmt.excluded[name] for name in changing}, "updated_at": func.now()},
    )


def _upsert_paper_state() -> Any:
    stmt = insert(paper_state)
    return stmt.on_conflict_do_update(
        index_elements=[paper_state.c.account_id],
        set_={"state": stmt.excluded.state, "updated_at": func.now()},
    )


# Built once: constructing an upsert (its `excluded` columns) costs more than running it.
_UPSERT_ORDER = _upsert_order()
_UPSERT_PAPER_STATE = _upsert_paper_state()
_INSERT_FILLS = insert(fills).on_conflict_do_nothing()


async def write_order(
    conn: AsyncConnection, ctx: OrderContext, record: OrderRecord, send_state: SendState
) -> None:
    """Insert the order row, or bring an existing one up to `record`."""
    await conn.execute(_UPSERT_ORDER, _order_values(ctx, record, send_state))


def outcome_writes(outcomes: Sequence[Outcome], paper: tuple[UUID, dict[str, Any]] | None) -> list[Any]:
    """The statements storing `outcomes` (order rows, fills) and a paper engine's state."""
    writes: list[Any] = []
    for outcome in outcomes:
        writes.append(_UPSERT_ORDER.values(_order_values(outcome.ctx, outcome.record, outcome.send_state)))
        if outcome.fills:
            rows = [
                {
                    "order_id": outcome.ctx.order_id,
                    "fill_id": fill.fill_id,
                    "quantity": fill.quantity,
                    "price": fill.price,
                    "fee": fill.fee,
                    "fee_currency": fill.fee_currency,
                    "liquidity": fill.liquidity.value,
                    "filled_at": fill.at,
                }
                for fill in outcome.fills
            ]
            writes.append(_INSERT_FILLS.values(rows))
    if paper is not None:
        writes.append(_UPSERT_PAPER_STATE.values(account_id=paper[0], state=paper[1]))
    return writes


async def write_outcomes(
    tx: Tx, outcomes: Sequence[Outcome], paper: tuple[UUID, dict[str, Any]] | None = None
) -> None:
    """Store outcomes and paper state with the events emitted so far: one statement (its writes as
    CTEs of the last one) when each order appears once; an order changed twice is written in turn."""
    writes = outcome_writes(outcomes, paper)
    if not writes:
        return
    if len({o.ctx.order_id for o in outcomes}) < len(outcomes):  # one statement cannot change a row twice
        for write in writes[:-1]:
            await tx.conn.execute(write)
        await tx.execute(writes[-1])
        return
    last = writes[-1]
    for i, write in enumerate(writes[:-1]):
        last = last.add_cte(write.cte(f"write_{i}"))
    await tx.execute(last)


def cancel_orders(order_ids: Sequence[UUID], reason: str) -> Update:
    """Mark many open orders cancelled in one statement (the kill switch's paper path)."""
    return (
        update(orders)
        .where(orders.c.order_id == any_(_uuids(order_ids, "order_ids")))
        .values(
            status=OrderStatus.CANCELLED.value,
            send_state=SendState.DONE.value,
            reason=reason[:500],
            updated_at=func.now(),
        )
    )


async def load_paper_state(conn: AsyncConnection, account_id: UUID) -> dict[str, Any] | None:
    row = (
        await conn.execute(select(paper_state.c.state).where(paper_state.c.account_id == account_id))
    ).first()
    return None if row is None else dict(row.state)


def clear_paper_orders(account_ids: Sequence[UUID]) -> Update:
    """Empty the stored order book of many paper engines in one statement (the kill switch's path:
    cancelling every order changes nothing else in the engine's state)."""
    return (
        update(paper_state)
        .where(paper_state.c.account_id == any_(_uuids(account_ids, "account_ids")))
        .values(
            state=func.jsonb_set(paper_state.c.state, text("'{orders}'::text[]"), text("'[]'::jsonb")),
            updated_at=func.now(),
        )
    )


def _uuids(ids: Sequence[UUID], name: str) -> Any:
    # One array parameter, not an IN list of a thousand: much cheaper to send and to plan.
    return bindparam(name, list(ids), type_=ARRAY(Uuid))
