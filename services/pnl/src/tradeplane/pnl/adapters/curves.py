"""SQL of the equity curves: snapshots, each day's close in the user's timezone, and running drawdown."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import String, case, delete, func, literal, select
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.valuation import Figures
from .tables import curves, daily_closes, equity_snapshots, users

UTC_NAME = "UTC"
"""The timezone of a user who never told us theirs."""


async def record_snapshots(
    conn: AsyncConnection, user_id: UUID, scopes: Iterable[Figures], at: datetime, tz: ZoneInfo
) -> None:
    """Upsert one snapshot per scope at `at` (one a second per scope), its day's close and its curve.

    One statement: the snapshot and the close are data-modifying CTEs of the curve's upsert.
    """
    at = at.replace(microsecond=0)
    rows = [
        {
            "user_id": user_id,
            "scope": f.scope,
            "cash": f.cash,
            "positions_value": f.positions_value,
            "equity": f.equity,
        }
        for f in sorted(scopes, key=lambda f: f.scope)
    ]
    if rows:
        day = at.astimezone(tz).date()
        stmt = _curves(rows, at).add_cte(_snapshots(rows, at)).add_cte(_closes(rows, at, tz.key, day))
        await conn.execute(stmt)


def _snapshots(rows: list[dict[str, Any]], at: datetime) -> Any:
    snap = insert(equity_snapshots).values([{**row, "at": at} for row in rows])
    return snap.on_conflict_do_update(
        index_elements=[equity_snapshots.c.user_id, equity_snapshots.c.scope, equity_snapshots.c.at],
        set_={c: snap.excluded[c] for c in ("cash", "positions_value", "equity")},
    ).cte("snapshots")


def _closes(rows: list[dict[str, Any]], at: datetime, tz: str, day: object) -> Any:
    keep = ("user_id", "scope", "cash", "positions_value")
    close = insert(daily_closes).values(
        [{**{k: r[k] for k in keep}, "at": at, "tz": tz, "day": day} for r in rows]
    )
    c = daily_closes.c
    return close.on_conflict_do_update(
        index_elements=[c.user_id, c.scope, c.tz, c.day],
        set_={col: close.excluded[col] for col in ("at", "cash", "positions_value")},
        where=c.at <= close.excluded.at,
    ).cte("closes")


def _curves(rows: list[dict[str, Any]], at: datetime) -> Any:
    curve = insert(curves).values(
        [
            {
                "user_id": r["user_id"],
                "scope": r["scope"],
                "peak": r["equity"],
                "max_drawdown": 0,
                "last_equity": r["equity"],
                "last_at": at,
            }
            for r in rows
        ]
    )
    equity = curve.excluded.last_equity
    peak = func.greatest(curves.c.peak, equity)
    fall = case((peak > 0, (equity - peak) / peak), else_=0)
    return curve.on_conflict_do_update(
        index_elements=[curves.c.user_id, curves.c.scope],
        set_={
            "peak": peak,
            "max_drawdown": func.least(curves.c.max_drawdown, fall),
            "last_equity": equity,
            "last_at": curve.excluded.last_at,
        },
    )


async def equity_before(
    conn: AsyncConnection, user_id: UUID, scope: UUID, *instants: datetime
) -> list[Decimal | None]:
    """For each instant, the equity of the last snapshot strictly before it (None if there is none)."""
    s = equity_snapshots.c

    def before(at: datetime) -> Any:
        return (
            select(s.equity)
            .where(s.user_id == user_id, s.scope == scope, s.at < at)
            .order_by(s.at.desc())
            .limit(1)
            .scalar_subquery()
        )

    row = (await conn.execute(select(*(before(at) for at in instants)))).one()
    return list(row)


async def remember_timezone(conn: AsyncConnection, user_id: UUID, tz: str) -> None:
    """Store the user's timezone; when it changes, rebuild their daily closes in the new one."""
    previous = await conn.execute(
        select(users.c.timezone).where(users.c.user_id == user_id).with_for_update()
    )
    before = previous.scalar_one_or_none() or UTC_NAME
    stmt = insert(users).values(user_id=user_id, timezone=tz)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[users.c.user_id],
            set_={"timezone": stmt.excluded.timezone, "updated_at": func.now()},
        )
    )
    if before != tz:
        await _rebuild_closes(conn, user_id, tz)


async def user_timezone(conn: AsyncConnection, user_id: UUID) -> str | None:
    stmt = select(users.c.timezone).where(users.c.user_id == user_id)
    tz: str | None = (await conn.execute(stmt)).scalar_one_or_none()
    return tz


async def _rebuild_closes(conn: AsyncConnection, user_id: UUID, tz: str) -> None:
    s = equity_snapshots.c
    day = func.date(func.timezone(tz, s.at)).label("day")
    inner = (
        select(s.user_id, s.scope, literal(tz, String).label("tz"), day, s.at, s.cash, s.positions_value)
        .where(s.user_id == user_id)
        .subquery()
    )
    latest = (
        select(*inner.c)
        .ext(distinct_on(inner.c.scope, inner.c.day))
        .order_by(inner.c.scope, inner.c.day, inner.c.at.desc())
    )
    await conn.execute(delete(daily_closes).where(daily_closes.c.user_id == user_id))
    columns = ["user_id", "scope", "tz", "day", "at", "cash", "positions_value"]
    await conn.execute(insert(daily_closes).from_select(columns, latest))
