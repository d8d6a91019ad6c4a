"""Candles in PostgreSQL: upserted by (venue, symbol, timeframe, t); a closed row is never reopened."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts.market import Timeframe
from tradeplane.runtime.rows import from_row, to_columns

from ..domain.candles import Bar
from .tables import candles

_VALUES = ("open", "high", "low", "close", "volume", "last_at", "closed")


def _row(bar: Bar) -> dict[str, Any]:
    return to_columns(bar) | {"timeframe": bar.timeframe.value}


def _bar(row: Any) -> Bar:
    bar = from_row(Bar, row)
    return replace(bar, timeframe=Timeframe(bar.timeframe))  # stored as its text


async def upsert(conn: AsyncConnection, bars: Sequence[Bar]) -> None:
    """Store bars; a row already closed keeps its values (a late forming flush cannot reopen it)."""
    if not bars:
        return
    stmt = insert(candles).values([_row(bar) for bar in bars])
    stmt = stmt.on_conflict_do_update(
        constraint="pk_candles",
        set_={name: stmt.excluded[name] for name in _VALUES} | {"updated_at": func.now()},
        where=candles.c.closed.is_not(true()),
    )
    await conn.execute(stmt)


async def latest(conn: AsyncConnection) -> list[Bar]:
    """The newest row of every (venue, symbol, timeframe): where the builder resumes."""
    newest = (
        select(candles.c.venue, candles.c.symbol, candles.c.timeframe, func.max(candles.c.t).label("t"))
        .group_by(candles.c.venue, candles.c.symbol, candles.c.timeframe)
        .subquery()
    )
    stmt = select(candles).join(
        newest,
        (candles.c.venue == newest.c.venue)
        & (candles.c.symbol == newest.c.symbol)
        & (candles.c.timeframe == newest.c.timeframe)
        & (candles.c.t == newest.c.t),
    )
    return [_bar(row) for row in (await conn.execute(stmt)).all()]


async def closed_range(
    conn: AsyncConnection,
    venue: str,
    symbol: str,
    timeframe: Timeframe,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> list[Bar]:
    """Closed bars opening in [start, end], oldest first; the newest `limit` of them."""
    stmt = select(candles).where(
        candles.c.venue == venue,
        candles.c.symbol == symbol,
        candles.c.timeframe == timeframe.value,
        candles.c.closed.is_(true()),
    )
    if start is not None:
        stmt = stmt.where(candles.c.t >= start)
    if end is not None:
        stmt = stmt.where(candles.c.t <= end)
    rows = (await conn.execute(stmt.order_by(candles.c.t.desc()).limit(limit))).all()
    return [_bar(row) for row in reversed(rows)]
