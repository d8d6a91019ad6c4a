"""SQL of the booking path: fills, positions, trades, accounts, equity snapshots, marks and timezones."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import OrderFilled

from ..domain.lots import Position
from ..domain.marks import Mark
from ..domain.stored import Applied
from ..domain.trades import ClosedTrade
from ..domain.valuation import Holding
from .tables import accounts, fills, marks, positions, trades

PENDING = "pending"
OK = "ok"


async def claim_fill(conn: AsyncConnection, event: OrderFilled, fee_quote: Decimal | None) -> bool:
    """Record the fill; False when this account already booked this fill id (then change nothing)."""
    stmt = (
        insert(fills)
        .values(
            account_id=event.account_id,
            fill_id=event.fill_id,
            user_id=event.user_id,
            order_id=event.order_id,
            symbol=event.symbol,
            side=event.side.value,
            quantity=event.quantity,
            price=event.price,
            fee=event.fee,
            fee_currency=event.fee_currency,
            fee_quote=fee_quote,
            filled_at=event.filled_at,
        )
        .on_conflict_do_nothing()
        .returning(fills.c.fill_id)
    )
    return (await conn.execute(stmt)).first() is not None


async def lock_position(
    conn: AsyncConnection, user_id: UUID, account_id: UUID, symbol: str, venue: str
) -> dict[str, Any] | None:
    """Lock the position row for this transaction (creating it the first time); returns its stored state."""
    stmt = select(positions.c.state).where(*_position_is(user_id, account_id, symbol)).with_for_update()
    row = (await conn.execute(stmt)).first()
    if row is None:
        key = {"user_id": user_id, "account_id": account_id, "symbol": symbol}
        await conn.execute(insert(positions).values(**key, venue=venue).on_conflict_do_nothing())
        row = (await conn.execute(stmt)).one()
    state: dict[str, Any] | None = row.state
    return state


async def save_position(conn: AsyncConnection, applied: Applied) -> None:
    p = applied.position
    await conn.execute(
        update(positions)
        .where(*_position_is(p.user_id, p.account_id, p.symbol))
        .values(
            quantity=p.quantity,
            cost=p.cost,
            realized=p.realized_pnl,
            fees=p.fees,
            open_fees=p.open_fees,
            opened_at=applied.opened_at,
            state=applied.state,
            updated_at=func.now(),
        )
    )


async def insert_trade(conn: AsyncConnection, trade: ClosedTrade, venue: str, closing_fill_id: str) -> None:
    values = trade.as_dict() | {"venue": venue, "closing_fill_id": closing_fill_id}
    await conn.execute(insert(trades).values(**values).on_conflict_do_nothing())


async def known_accounts(conn: AsyncConnection, account_ids: Sequence[UUID]) -> set[UUID]:
    rows = await conn.execute(select(accounts.c.account_id).where(accounts.c.account_id.in_(account_ids)))
    return set(rows.scalars())


async def insert_account(
    conn: AsyncConnection,
    account_id: UUID,
    user_id: UUID,
    venue: str,
    baseline: Decimal | None,
    balances: dict[str, Any] | None,
) -> bool:
    """Record a newly seen account; `baseline` None means execution did not answer (retried later)."""
    stmt = (
        insert(accounts)
        .values(
            account_id=account_id,
            user_id=user_id,
            venue=venue,
            baseline=baseline or Decimal(0),
            baseline_status=PENDING if baseline is None else OK,
            balances=balances,
            baseline_at=None if baseline is None else func.now(),
        )
        .on_conflict_do_nothing()
        .returning(accounts.c.account_id)
    )
    return (await conn.execute(stmt)).first() is not None


async def set_baseline(
    conn: AsyncConnection, account_id: UUID, baseline: Decimal, balances: dict[str, Any]
) -> bool:
    stmt = (
        update(accounts)
        .where(accounts.c.account_id == account_id, accounts.c.baseline_status == PENDING)
        .values(baseline=baseline, balances=balances, baseline_status=OK, baseline_at=func.now())
        .returning(accounts.c.account_id)
    )
    return (await conn.execute(stmt)).first() is not None


async def pending_accounts(conn: AsyncConnection, limit: int = 100) -> list[Any]:
    stmt = (
        select(accounts.c.account_id, accounts.c.user_id, accounts.c.venue)
        .where(accounts.c.baseline_status == PENDING)
        .limit(limit)
    )
    return list(await conn.execute(stmt))


async def holdings(conn: AsyncConnection, user_ids: Sequence[UUID]) -> dict[UUID, list[Holding]]:
    """Every position (open or flat) of the users, by user."""
    c = positions.c
    columns = (
        c.user_id,
        c.account_id,
        c.symbol,
        c.venue,
        c.quantity,
        c.cost,
        c.realized,
        c.fees,
        c.open_fees,
        c.opened_at,
    )
    rows = await conn.execute(select(*columns).where(c.user_id.in_(user_ids)))
    found: dict[UUID, list[Holding]] = {}
    for row in rows:
        found.setdefault(row.user_id, []).append(holding_of(row))
    return found


def holding_of(row: Any) -> Holding:
    position = Position(
        row.user_id, row.account_id, row.symbol, row.quantity, row.cost, row.realized, row.fees, row.open_fees
    )
    return Holding(row.venue, position, row.opened_at)


async def baselines(
    conn: AsyncConnection, user_ids: Sequence[UUID]
) -> dict[UUID, dict[UUID, Decimal | None]]:
    """Each user's accounts and their baseline equity (None while execution has not told it)."""
    c = accounts.c
    stmt = select(c.user_id, c.account_id, c.baseline, c.baseline_status).where(c.user_id.in_(user_ids))
    found: dict[UUID, dict[UUID, Decimal | None]] = {}
    for row in await conn.execute(stmt):
        found.setdefault(row.user_id, {})[row.account_id] = (
            None if row.baseline_status == PENDING else row.baseline
        )
    return found


async def users_holding(conn: AsyncConnection, symbols: Sequence[str] | None = None) -> list[UUID]:
    """Users with an open position (in one of `symbols`, when given)."""
    stmt = select(positions.c.user_id).distinct().where(positions.c.quantity != 0)
    if symbols is not None:
        stmt = stmt.where(positions.c.symbol.in_(symbols))
    return list((await conn.execute(stmt)).scalars())


async def save_marks(conn: AsyncConnection, updated: Sequence[Mark]) -> None:
    if not updated:
        return
    stmt = insert(marks).values([m._asdict() for m in updated])
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[marks.c.venue, marks.c.symbol],
            set_={"price": stmt.excluded.price, "at": stmt.excluded.at},
            where=marks.c.at <= stmt.excluded.at,
        )
    )


async def load_marks(conn: AsyncConnection) -> list[Mark]:
    rows = await conn.execute(select(marks.c.venue, marks.c.symbol, marks.c.price, marks.c.at))
    return [Mark(*row) for row in rows]


def _position_is(user_id: UUID, account_id: UUID, symbol: str) -> tuple[Any, ...]:
    c = positions.c
    return (c.user_id == user_id, c.account_id == account_id, c.symbol == symbol)
