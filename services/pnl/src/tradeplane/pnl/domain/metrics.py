"""Performance of a user, one account or all accounts: PnL totals, trade statistics and risk ratios.

Aggregation across accounts and exchanges is filtering: pass the trades, positions and equity of
whichever scope is wanted. Money is Decimal throughout; see `ratios` for Sharpe and Sortino.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from decimal import Decimal
from uuid import UUID

from .breakdown import Period, PeriodSummary, breakdown
from .equity import EquitySnapshot, daily_equity, daily_returns
from .lots import Position
from .ratios import max_drawdown, sharpe_ratio, sortino_ratio
from .trades import ClosedTrade

__all__ = [
    "Performance",
    "Period",
    "PeriodSummary",
    "PnlTotals",
    "TradeStats",
    "breakdown",
    "breakdowns",
    "max_drawdown",
    "performance",
    "pnl_totals",
    "select_trades",
    "sharpe_ratio",
    "sortino_ratio",
    "trade_stats",
]

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_PCT = Decimal("0.01")
_RATIO = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class PnlTotals:
    """Gross realized and unrealized PnL and every fee paid; `net` is what the account gained."""

    realized: Decimal
    unrealized: Decimal
    fees: Decimal

    @property
    def net(self) -> Decimal:
        return self.realized + self.unrealized - self.fees


@dataclass(frozen=True, slots=True)
class TradeStats:
    """Closed-trade statistics on net PnL; `win_rate` is a percentage, `average_loss` is negative."""

    total: int
    wins: int
    losses: int
    win_rate: Decimal
    profit_factor: Decimal | None
    """Gross wins over gross losses; None when there is no losing trade."""
    average_win: Decimal
    average_loss: Decimal
    expectancy: Decimal
    """Mean net PnL per trade."""
    best: Decimal | None
    worst: Decimal | None


@dataclass(frozen=True, slots=True)
class Performance:
    """Everything `GET /api/pnl` reports; `max_drawdown_pct` is positive (25 means a 25% fall)."""

    totals: PnlTotals
    trades: TradeStats
    sharpe_ratio: Decimal | None
    sortino_ratio: Decimal | None
    max_drawdown_pct: Decimal


def select_trades(
    trades: Iterable[ClosedTrade], user_id: UUID | None = None, account_id: UUID | None = None
) -> list[ClosedTrade]:
    return [
        t
        for t in trades
        if (user_id is None or t.user_id == user_id) and (account_id is None or t.account_id == account_id)
    ]


def pnl_totals(positions: Iterable[Position], marks: Mapping[str, Decimal]) -> PnlTotals:
    """Sum positions; one without a mark in `marks` (by symbol) counts no unrealized PnL."""
    realized = unrealized = fees = _ZERO
    for position in positions:
        realized += position.realized_pnl
        fees += position.fees
        mark = marks.get(position.symbol)
        if mark is not None:
            unrealized += position.unrealized(mark)
    return PnlTotals(realized, unrealized, fees)


def trade_stats(trades: Sequence[ClosedTrade]) -> TradeStats:
    pnls = [t.pnl_usd for t in trades]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p < 0]
    gross_win, gross_loss = sum(wins, _ZERO), sum(losses, _ZERO)
    return TradeStats(
        total=len(pnls),
        wins=len(wins),
        losses=len(losses),
        win_rate=(_HUNDRED * len(wins) / len(pnls)).quantize(_PCT) if pnls else _ZERO,
        profit_factor=(gross_win / -gross_loss).quantize(_RATIO) if losses else None,
        average_win=gross_win / len(wins) if wins else _ZERO,
        average_loss=gross_loss / len(losses) if losses else _ZERO,
        expectancy=sum(pnls, _ZERO) / len(pnls) if pnls else _ZERO,
        best=max(pnls, default=None),
        worst=min(pnls, default=None),
    )


def performance(
    trades: Sequence[ClosedTrade], snapshots: Sequence[EquitySnapshot], totals: PnlTotals, tz: tzinfo
) -> Performance:
    """Ratios come from daily returns in `tz`; the drawdown from every snapshot, so intraday falls count."""
    returns = daily_returns(daily_equity(snapshots, tz))
    curve = [s.equity for s in sorted(snapshots, key=lambda s: s.at)]
    return Performance(
        totals=totals,
        trades=trade_stats(trades),
        sharpe_ratio=_rounded(sharpe_ratio(returns)),
        sortino_ratio=_rounded(sortino_ratio(returns)),
        max_drawdown_pct=(-max_drawdown(curve) * _HUNDRED).quantize(_RATIO),
    )


def breakdowns(trades: Sequence[ClosedTrade], tz: tzinfo) -> dict[Period, list[PeriodSummary]]:
    return {period: breakdown(trades, period, tz) for period in Period}


def _rounded(value: Decimal | None) -> Decimal | None:
    return value.quantize(_RATIO) if value is not None else None
