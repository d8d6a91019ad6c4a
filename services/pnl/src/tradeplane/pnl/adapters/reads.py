"""SQL of the queries: closed trades, their sums and periods, equity history and daily closes.

Sums and periods are aggregated by PostgreSQL, so a reply costs the same for ten trades or ten
thousand; days, weeks (from Monday) and months are the caller's local ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Date, cast, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.runtime.paging import counted_page

from ..domain.breakdown import Period, PeriodSummary
from ..domain.equity import EquitySnapshot
from ..domain.performance import TradeSums
from .tables import accounts, curves, daily_closes, equity_snapshots, trades

_ZERO = Decimal(0)
_UNITS = {Period.DAILY: "day", Period.WEEKLY: "week", Period.MONTHLY: "month"}


async def trade_page(
    conn: AsyncConnection, user_id: UUID, account_id: UUID | None, page: int, size: int
) -> tuple[list[Any], int]:
    """One page of closed trades, newest first, and how many there are in all."""
    where = [trades.c.user_id == user_id]
    if account_id is not None:
        where.append(trades.c.account_id == account_id)
    newest_first = [trades.c.exit_at.desc(), trades.c.trade_id]
    return await counted_page(conn, trades, where, newest_first, offset=(page - 1) * size, limit=size)


async def trade_sums(conn: AsyncConnection, user_ids: Sequence[UUID]) -> dict[UUID, dict[UUID, TradeSums]]:
    """Per user, per account: the sums trade statistics are made of."""
    pnl = trades.c.pnl_usd
    stmt = select(
        trades.c.user_id,
        trades.c.account_id,
        func.count(),
        func.count().filter(pnl > 0),
        func.count().filter(pnl < 0),
        func.coalesce(func.sum(pnl).filter(pnl > 0), 0),
        func.coalesce(func.sum(pnl).filter(pnl < 0), 0),
        func.max(pnl),
        func.min(pnl),
    ).where(trades.c.user_id.in_(user_ids))
    found: dict[UUID, dict[UUID, TradeSums]] = {}
    for user_id, account_id, *sums in await conn.execute(
        stmt.group_by(trades.c.user_id, trades.c.account_id)
    ):
        found.setdefault(user_id, {})[account_id] = TradeSums(*sums)
    return found


async def period_summaries(
    conn: AsyncConnection, user_id: UUID, period: Period, tz: str, account_id: UUID | None = None
) -> list[PeriodSummary]:
    """Closed-trade PnL per local day, week or month (where each trade exited), oldest first."""
    unit: Any = literal_column(f"'{_UNITS[period]}'")
    start = cast(func.date_trunc(unit, func.timezone(tz, trades.c.exit_at)), Date).label("start")
    inner = select(start, trades.c.pnl_usd.label("pnl")).where(trades.c.user_id == user_id)
    if account_id is not None:
        inner = inner.where(trades.c.account_id == account_id)
    t = inner.subquery()
    stmt = (
        select(
            t.c.start,
            func.sum(t.c.pnl),
            func.count(),
            func.count().filter(t.c.pnl > 0),
            func.count().filter(t.c.pnl < 0),
        )
        .group_by(t.c.start)
        .order_by(t.c.start)
    )
    return [PeriodSummary(*row) for row in await conn.execute(stmt)]


async def closes(conn: AsyncConnection, user_id: UUID, tz: str) -> dict[UUID, list[EquitySnapshot]]:
    """Per scope, the last snapshot of each day in `tz` (the user's stored timezone): all daily returns
    need."""
    c = daily_closes.c
    stmt = (
        select(c.scope, c.at, c.cash, c.positions_value)
        .where(c.user_id == user_id, c.tz == tz)
        .order_by(c.scope, c.day)
    )
    found: dict[UUID, list[EquitySnapshot]] = {}
    for scope, at, cash, positions_value in await conn.execute(stmt):
        found.setdefault(scope, []).append(EquitySnapshot(at, cash, positions_value))
    return found


async def history(
    conn: AsyncConnection, user_id: UUID, scope: UUID, since: datetime | None, limit: int
) -> list[Any]:
    """The newest `limit` snapshots (since `since`), oldest first."""
    s = equity_snapshots.c
    stmt = select(s.at, s.equity, s.cash, s.positions_value).where(s.user_id == user_id, s.scope == scope)
    if since is not None:
        stmt = stmt.where(s.at >= since)
    rows = list(await conn.execute(stmt.order_by(s.at.desc()).limit(limit)))
    rows.reverse()
    return rows


async def drawdowns(conn: AsyncConnection, user_ids: Sequence[UUID]) -> dict[UUID, dict[UUID, Decimal]]:
    """Per user, per scope: the deepest drawdown so far (a negative fraction)."""
    stmt = select(curves.c.user_id, curves.c.scope, curves.c.max_drawdown).where(
        curves.c.user_id.in_(user_ids)
    )
    found: dict[UUID, dict[UUID, Decimal]] = {}
    for user_id, scope, fall in await conn.execute(stmt):
        found.setdefault(user_id, {})[scope] = fall
    return found


async def account_venues(conn: AsyncConnection, user_id: UUID) -> dict[UUID, str]:
    stmt = select(accounts.c.account_id, accounts.c.venue).where(accounts.c.user_id == user_id)
    return {account_id: venue for account_id, venue in await conn.execute(stmt)}
