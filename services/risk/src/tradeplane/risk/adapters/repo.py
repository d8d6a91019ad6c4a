"""SQL of the risk schema: a user's state (locked for a change), profiles, decisions, seen fills, ceilings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Insert, Update, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from tradeplane.contracts import TradingState
from tradeplane.riskrules import RiskState

from .tables import ceilings, decisions, fills_seen, profiles, states


@dataclass(frozen=True, slots=True)
class ProfileRow:
    limits: dict[str, Any]
    timezone: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDecision:
    approved: bool
    code: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class StateRow:
    """A user's stored state with what handlers need beside it (profile, an earlier decision)."""

    state: RiskState
    last_realized: Decimal
    equity: Decimal | None
    pnl_at: datetime | None
    profile: ProfileRow | None
    decision: StoredDecision | None = None


_s, _p, _d = states, profiles, decisions
_COLUMNS = (
    _s.c.state,
    _s.c.last_realized,
    _s.c.equity,
    _s.c.pnl_at,
    _p.c.limits,
    _p.c.timezone,
    _p.c.updated_at,
)
_JOINED = _s.outerjoin(_p, _p.c.user_id == _s.c.user_id)
_READ = select(*_COLUMNS).select_from(_JOINED)
_LOCK = _READ.where(_s.c.user_id == bindparam("uid")).with_for_update(of=_s)
_LOCK_FOR_ORDER = (
    select(*_COLUMNS, _d.c.approved, _d.c.code, _d.c.reason)
    .select_from(_JOINED.outerjoin(_d, _d.c.order_id == bindparam("oid")))
    .where(_s.c.user_id == bindparam("uid"))
    .with_for_update(of=_s)
)
_CREATE = insert(_s).values(user_id=bindparam("uid")).on_conflict_do_nothing()


def _state_row(row: Any, with_decision: bool = False) -> StateRow:
    profile = None if row.updated_at is None else ProfileRow(row.limits, row.timezone, row.updated_at)
    decision = None
    if with_decision and row.approved is not None:
        decision = StoredDecision(row.approved, row.code, row.reason)
    return StateRow(
        RiskState.from_dict(row.state), row.last_realized, row.equity, row.pnl_at, profile, decision
    )


async def lock(conn: AsyncConnection, user_id: UUID, order_id: UUID | None = None) -> StateRow:
    """The user's state, locked until the transaction ends (created empty the first time).

    With `order_id`, also the decision already taken on that order, if any: read under the lock,
    so two deliveries of one order cannot both decide.
    """
    stmt, params = (
        (_LOCK, {"uid": user_id})
        if order_id is None
        else (_LOCK_FOR_ORDER, {"uid": user_id, "oid": order_id})
    )
    row = (await conn.execute(stmt, params)).first()
    if row is None:
        await conn.execute(_CREATE, {"uid": user_id})
        row = (await conn.execute(stmt, params)).one()
    return _state_row(row, with_decision=order_id is not None)


async def read(conn: AsyncConnection, user_id: UUID) -> StateRow | None:
    """The user's state without locking it (for answering queries and cheap pre-checks)."""
    row = (await conn.execute(_READ.where(_s.c.user_id == user_id))).first()
    return None if row is None else _state_row(row)


async def read_many(conn: AsyncConnection, user_ids: list[UUID]) -> dict[UUID, StateRow]:
    rows = (await conn.execute(_READ.add_columns(_s.c.user_id).where(_s.c.user_id.in_(user_ids)))).all()
    return {row.user_id: _state_row(row) for row in rows}


async def save(conn: AsyncConnection, user_id: UUID, state: RiskState, **columns: Any) -> None:
    """Store the state (and `last_realized`, `equity`, `pnl_at` when given) of a locked user."""
    await conn.execute(_save(user_id, state, **columns))


def record_decision(
    order_id: UUID,
    user_id: UUID,
    outcome: tuple[bool, str | None, str | None],
    state: RiskState | None,
) -> Insert | Update:
    """ONE statement storing a decision (approved, code, reason) and, unless None, the user's new state."""
    approved, code, reason = outcome
    decided = insert(_d).values(
        order_id=order_id, user_id=user_id, approved=approved, code=code, reason=reason
    )
    if state is None:
        return decided
    return _save(user_id, state).add_cte(decided.cte("decided"))


def _save(user_id: UUID, state: RiskState, **columns: Any) -> Update:
    halted = state.trading_state is TradingState.HALTED
    return (
        update(_s)
        .where(_s.c.user_id == user_id)
        .values(
            state=state.to_dict(),
            halted_until=state.halted_until if halted else None,
            updated_at=func.now(),
            **columns,
        )
    )


async def claim_fill(conn: AsyncConnection, order_id: UUID, fill_id: str) -> bool:
    """True the first time this fill is seen (a redelivery, even under a new event id, gives False)."""
    stmt = (
        insert(fills_seen)
        .values(order_id=order_id, fill_id=fill_id)
        .on_conflict_do_nothing()
        .returning(fills_seen.c.order_id)
    )
    return (await conn.execute(stmt)).first() is not None


async def read_profile(conn: AsyncConnection, user_id: UUID) -> ProfileRow | None:
    row = (
        await conn.execute(select(_p.c.limits, _p.c.timezone, _p.c.updated_at).where(_p.c.user_id == user_id))
    ).first()
    return None if row is None else ProfileRow(row.limits, row.timezone, row.updated_at)


async def put_limits(conn: AsyncConnection, user_id: UUID, limits: dict[str, Any]) -> None:
    stmt = insert(_p).values(user_id=user_id, limits=limits)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[_p.c.user_id], set_={"limits": stmt.excluded.limits, "updated_at": func.now()}
        )
    )


async def put_timezone(conn: AsyncConnection, user_id: UUID, timezone: str) -> None:
    stmt = insert(_p).values(user_id=user_id, timezone=timezone)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[_p.c.user_id], set_={"timezone": stmt.excluded.timezone, "updated_at": func.now()}
        )
    )


async def halts_ended(conn: AsyncConnection, now: datetime) -> list[UUID]:
    """Users whose timed halt ended at or before `now`."""
    rows = await conn.execute(select(_s.c.user_id).where(_s.c.halted_until <= now))
    return list(rows.scalars())


async def count_halted(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).where(_s.c.halted_until.is_not(None)))).scalar_one())


async def read_ceilings(conn: AsyncConnection) -> dict[str, Any] | None:
    """The ceilings an admin stored, or None when none has yet."""
    row = (await conn.execute(select(ceilings.c.limits))).first()
    return None if row is None else dict(row.limits)


async def put_ceilings(conn: AsyncConnection, limits: dict[str, Any], actor: str) -> None:
    stmt = insert(ceilings).values(id=1, limits=limits, updated_by=actor[:200])
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[ceilings.c.id],
            set_={
                "limits": stmt.excluded.limits,
                "updated_by": stmt.excluded.updated_by,
                "updated_at": func.now(),
            },
        )
    )
