"""A user's risk state (trading state, PnL windows, positions, error counts) and its storage form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from tradeplane.contracts import Money, TradingState, UtcDatetime, VenueErrorCategory

from .transitions import TransitionCode

ZERO = Decimal(0)


@dataclass(frozen=True)
class RiskState:
    """Everything risk remembers about one user between events; replaced, never mutated.

    `day` and `week` (the Monday of the ISO week) are dates in the user's timezone; the PnL and
    trade counters belong to them. `halt_code`/`halt_reason` explain a Halted or Reducing state and
    `resume_state` is where a timed halt returns to. Positions are signed base quantities per
    account and symbol. `consecutive_errors` counts account-breaking venue errors since the last
    success. Fill ids are not kept here: the service de-duplicates fills before calling the domain.
    """

    trading_state: TradingState = TradingState.ACTIVE
    halt_code: TransitionCode | None = None
    halt_reason: str | None = None
    halted_until: UtcDatetime | None = None
    resume_state: TradingState = TradingState.ACTIVE
    day: date | None = None
    week: date | None = None
    day_start_equity: Money | None = None
    daily_realized_pnl: Money = ZERO
    weekly_realized_pnl: Money = ZERO
    equity: Money | None = None
    peak_equity: Money | None = None
    drawdown_pct: Money = ZERO
    trades_today: int = 0
    recent_orders: tuple[UtcDatetime, ...] = ()
    positions: Mapping[UUID, Mapping[str, Money]] = field(default_factory=dict)
    consecutive_errors: Mapping[VenueErrorCategory, int] = field(default_factory=dict)
    error_totals: Mapping[VenueErrorCategory, int] = field(default_factory=dict)
    disabled: bool = False
    disabled_reason: str | None = None

    @property
    def total_errors(self) -> int:
        return sum(self.error_totals.values())

    @property
    def daily_loss(self) -> Decimal:
        """Today's realized loss as a positive number (zero on a winning day)."""
        return max(-self.daily_realized_pnl, ZERO)

    @property
    def weekly_loss(self) -> Decimal:
        return max(-self.weekly_realized_pnl, ZERO)

    def position(self, account_id: UUID, symbol: str) -> Decimal:
        """Signed quantity held: positive long, negative short, zero flat."""
        return self.positions.get(account_id, {}).get(symbol, ZERO)

    def with_position(self, account_id: UUID, symbol: str, quantity: Decimal) -> RiskState:
        account = {**self.positions.get(account_id, {}), symbol: quantity}
        if not quantity:
            del account[symbol]
        positions = {**self.positions, account_id: account}
        if not account:
            del positions[account_id]
        return replace(self, positions=positions)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for storage (JSONB): Decimals as strings, times as ISO-8601 UTC."""
        result: dict[str, Any] = _adapter().dump_python(self, mode="json")
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskState:
        """The state stored by `to_dict`; missing keys take their defaults."""
        return _adapter().validate_python(dict(data))

    def public_view(self) -> dict[str, Any]:
        """The `state` object of `GET /api/settings/trading` (docs/api.md), camelCase."""
        return {
            "tradingState": self.trading_state.value,
            "haltReason": self.halt_reason,
            "haltedUntil": self.halted_until.isoformat() if self.halted_until else None,
            "dailyPnl": format(self.daily_realized_pnl, "f"),
            "weeklyPnl": format(self.weekly_realized_pnl, "f"),
            "drawdownPct": format(self.drawdown_pct, "f"),
            "peakEquity": None if self.peak_equity is None else format(self.peak_equity, "f"),
            "tradesToday": self.trades_today,
            "errorCount": self.total_errors,
            "disabled": self.disabled,
        }


@cache
def _adapter() -> TypeAdapter[RiskState]:
    return TypeAdapter(RiskState)
