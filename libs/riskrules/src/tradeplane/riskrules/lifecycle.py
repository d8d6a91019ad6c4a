"""How a user's risk state moves with days, fills, PnL and releases, and which transitions that makes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from decimal import Decimal
from uuid import UUID

from tradeplane.contracts import RejectCode, Side, TradingState

from .caps import Breach, breaches, drawdown_pct
from .limits import RiskLimits
from .periods import local_day, next_day_start, next_week_start, require_aware, week_start
from .state import ZERO, RiskState
from .transitions import StateChanged, TransitionCode

Result = tuple[RiskState, list[StateChanged]]
"""The new state and the trading-state changes it made, in order."""

_HALTING = (RejectCode.WEEKLY_LOSS, RejectCode.DAILY_LOSS, RejectCode.CIRCUIT_BREAKER)
"""Caps that halt the user, longest-lived first (a weekly halt outlasts a daily one)."""


@dataclass(frozen=True)
class Fill:
    """What risk needs of one fill (built from `OrderFilled`).

    `order_filled_quantity` is the order's cumulative filled quantity after this fill; the fill
    whose cumulative equals its own quantity is the order's first and counts as one trade. None
    counts every fill as a trade. `realized_pnl` (net of fees) is applied when the caller knows it.
    """

    account_id: UUID
    symbol: str
    side: Side
    quantity: Decimal
    order_filled_quantity: Decimal | None = None
    realized_pnl: Decimal | None = None

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity if self.side is Side.BUY else -self.quantity

    @property
    def opens_trade(self) -> bool:
        return self.order_filled_quantity is None or self.order_filled_quantity == self.quantity


def roll_day(state: RiskState, now: datetime, tz: tzinfo) -> Result:
    """Start a new day/week in the user's timezone when `now` is past the stored one; end expired halts."""
    today = local_day(now, tz)
    rolled = state
    if state.day is None or today > state.day:
        rolled = replace(
            rolled, day=today, daily_realized_pnl=ZERO, trades_today=0, day_start_equity=state.equity
        )
    monday = week_start(today)
    if state.week is None or monday > state.week:
        rolled = replace(rolled, week=monday, weekly_realized_pnl=ZERO)
    return _expire_halt(rolled, now)


def on_pnl(
    state: RiskState,
    limits: RiskLimits,
    *,
    now: datetime,
    tz: tzinfo,
    realized_delta: Decimal = ZERO,
    equity: Decimal | None = None,
) -> Result:
    """Add realized PnL made now (net of fees) and/or record the current equity, then apply the caps."""
    rolled, transitions = roll_day(state, now, tz)
    updated = _add_realized(rolled, realized_delta)
    if equity is not None:
        updated = _set_equity(updated, equity)
    capped, more = _apply_caps(rolled, updated, limits, now, tz)
    return capped, transitions + more


def on_fill(state: RiskState, limits: RiskLimits, fill: Fill, *, now: datetime, tz: tzinfo) -> Result:
    """Move the position, count the trade, add realized PnL when given, then apply the caps."""
    rolled, transitions = roll_day(state, now, tz)
    held = rolled.position(fill.account_id, fill.symbol)
    updated = rolled.with_position(fill.account_id, fill.symbol, held + fill.signed_quantity)
    if fill.opens_trade:
        updated = replace(updated, trades_today=updated.trades_today + 1)
    updated = _add_realized(updated, fill.realized_pnl or ZERO)
    capped, more = _apply_caps(rolled, updated, limits, now, tz)
    return capped, transitions + more


def release(state: RiskState) -> Result:
    """An explicit, audited release: back to Active whatever the reason.

    When drawdown caused the restriction the peak is re-based to the current equity, or the next
    equity update would restrict the user again at once. Loss caps still reached keep rejecting
    increasing orders in `check_order` until the limit is raised or the day/week rolls.
    """
    if state.trading_state is TradingState.ACTIVE:
        return state, []
    released = replace(
        state,
        trading_state=TradingState.ACTIVE,
        halt_code=None,
        halt_reason=None,
        halted_until=None,
        resume_state=TradingState.ACTIVE,
    )
    if TradingState.REDUCING in (state.trading_state, state.resume_state):
        released = replace(released, peak_equity=state.equity, drawdown_pct=ZERO)
    change = StateChanged(state.trading_state, TradingState.ACTIVE, TransitionCode.RELEASED, "released")
    return released, [change]


def _add_realized(state: RiskState, delta: Decimal) -> RiskState:
    if not delta:
        return state
    return replace(
        state,
        daily_realized_pnl=state.daily_realized_pnl + delta,
        weekly_realized_pnl=state.weekly_realized_pnl + delta,
    )


def _set_equity(state: RiskState, equity: Decimal) -> RiskState:
    peak = equity if state.peak_equity is None else max(state.peak_equity, equity)
    day_start = equity if state.day_start_equity is None else state.day_start_equity
    return replace(
        state,
        equity=equity,
        peak_equity=peak,
        drawdown_pct=drawdown_pct(peak, equity),
        day_start_equity=day_start,
    )


def _apply_caps(before: RiskState, after: RiskState, limits: RiskLimits, now: datetime, tz: tzinfo) -> Result:
    """Act on caps this event newly reached; a cap already reached before does not re-trigger."""
    already = {breach.code for breach in breaches(before, limits)}
    crossed = {b.code: b for b in breaches(after, limits) if b.code not in already}
    state = after
    transitions: list[StateChanged] = []
    drawdown = crossed.get(RejectCode.MAX_DRAWDOWN)
    if drawdown is not None:
        state, transitions = _start_reducing(state, drawdown)
    halting = [crossed[code] for code in _HALTING if code in crossed]
    if halting:
        state, more = _halt(state, halting[0], now, tz)
        transitions += more
    return state, transitions


def _start_reducing(state: RiskState, breach: Breach) -> Result:
    if state.trading_state is TradingState.HALTED:
        # The halt stays; when it ends the user comes back reduce-only.
        return replace(state, resume_state=TradingState.REDUCING), []
    if state.trading_state is TradingState.REDUCING:
        return state, []
    reducing = replace(
        state,
        trading_state=TradingState.REDUCING,
        halt_code=TransitionCode.MAX_DRAWDOWN,
        halt_reason=breach.message,
    )
    change = StateChanged(
        TradingState.ACTIVE, TradingState.REDUCING, TransitionCode.MAX_DRAWDOWN, breach.message
    )
    return reducing, [change]


def _halt(state: RiskState, breach: Breach, now: datetime, tz: tzinfo) -> Result:
    weekly = breach.code is RejectCode.WEEKLY_LOSS
    until = next_week_start(now, tz) if weekly else next_day_start(now, tz)
    halted = state.trading_state is TradingState.HALTED
    if halted and state.halted_until is not None and state.halted_until >= until:
        return state, []
    resume = state.resume_state if halted else state.trading_state
    code = TransitionCode(breach.code.value)
    reason = f"{breach.message}; halted until {until.isoformat()}"
    new = replace(
        state,
        trading_state=TradingState.HALTED,
        halt_code=code,
        halt_reason=reason,
        halted_until=until,
        resume_state=resume,
    )
    return new, [StateChanged(state.trading_state, TradingState.HALTED, code, reason, until)]


def _expire_halt(state: RiskState, now: datetime) -> Result:
    until = state.halted_until
    if state.trading_state is not TradingState.HALTED or until is None or require_aware(now) < until:
        return state, []
    resume = state.resume_state
    reducing = resume is TradingState.REDUCING
    resumed = replace(
        state,
        trading_state=resume,
        halt_code=TransitionCode.MAX_DRAWDOWN if reducing else None,
        halt_reason="drawdown cap reached: only orders that reduce a position" if reducing else None,
        halted_until=None,
        resume_state=TradingState.ACTIVE,
    )
    reason = f"halt ({state.halt_code}) ended at {until.isoformat()}"
    return resumed, [StateChanged(TradingState.HALTED, resume, TransitionCode.HALT_EXPIRED, reason)]
