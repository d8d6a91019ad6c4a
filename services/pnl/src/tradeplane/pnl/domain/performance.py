"""Performance of a user, one account or all accounts: PnL totals, trade statistics and risk ratios.

Aggregation across accounts and exchanges is filtering: pass the trades, positions and equity of
whichever scope is wanted. Money is Decimal throughout; see `ratios` for Sharpe and Sortino.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
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
    "TradeSums",
    "breakdown",
    "breakdowns",
    "drawdown_percent",
    "max_drawdown",
    "performance",
    "pnl_totals",
    "return_ratios",
    "select_trades",
    "sharpe_ratio",
    "sortino_ratio",
    "stats_from_sums",
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


@dataclass(frozen=True, slots=True)
class TradeSums:
    """The sums `TradeStats` derives from; a database can aggregate these without loading every trade."""

    total: int
    wins: int
    losses: int
    gross_win: Decimal
    gross_loss: Decimal
    """Sum of the losing trades' PnL (negative or zero)."""
    best: Decimal | None
    worst: Decimal | None

    @classmethod
    def of(cls, pnls: Sequence[Decimal]) -> TradeSums:
        wins = [p for p in pnls if p > 0]
        losses = [p for p in pnls if p < 0]
        return cls(
            total=len(pnls),
            wins=len(wins),
            losses=len(losses),
            gross_win=sum(wins, _ZERO),
            gross_loss=sum(losses, _ZERO),
            best=max(pnls, default=None),
            worst=min(pnls, default=None),
        )

    def __add__(self, other: TradeSums) -> TradeSums:
        return TradeSums(
            total=self.total + other.total,
            wins=self.wins + other.wins,
            losses=self.losses + other.losses,
            gross_win=self.gross_win + other.gross_win,
            gross_loss=self.gross_loss + other.gross_loss,
            best=_pick(max, self.best, other.best),
            worst=_pick(min, self.worst, other.worst),
        )


def trade_stats(trades: Sequence[ClosedTrade]) -> TradeStats:
    return stats_from_sums(TradeSums.of([t.pnl_usd for t in trades]))


def stats_from_sums(sums: TradeSums) -> TradeStats:
    total, wins, losses = sums.total, sums.wins, sums.losses
    return TradeStats(
        total=total,
        wins=wins,
        losses=losses,
        win_rate=(_HUNDRED * wins / total).quantize(_PCT) if total else _ZERO,
        profit_factor=(sums.gross_win / -sums.gross_loss).quantize(_RATIO) if losses else None,
        average_win=sums.gross_win / wins if wins else _ZERO,
        average_loss=sums.gross_loss / losses if losses else _ZERO,
        # Break-even trades add nothing to either gross sum, so this is the mean of every trade's PnL.
        expectancy=(sums.gross_win + sums.gross_loss) / total if total else _ZERO,
        best=sums.best,
        worst=sums.worst,
    )


def return_ratios(
    snapshots: Sequence[EquitySnapshot], tz: tzinfo
) -> tuple[Decimal | None, Decimal | None, list[Decimal]]:
    """(Sharpe, Sortino, daily returns) from snapshots; the last snapshot of each local day is enough."""
    returns = daily_returns(daily_equity(snapshots, tz))
    return _rounded(sharpe_ratio(returns)), _rounded(sortino_ratio(returns)), returns


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
        max_drawdown_pct=drawdown_percent(max_drawdown(curve)),
    )


def drawdown_percent(fraction: Decimal) -> Decimal:
    """A drawdown fraction (-0.25) as the positive percentage reports show (25.0000)."""
    return (-fraction * _HUNDRED).quantize(_RATIO)


def breakdowns(trades: Sequence[ClosedTrade], tz: tzinfo) -> dict[Period, list[PeriodSummary]]:
    return {period: breakdown(trades, period, tz) for period in Period}


def _rounded(value: Decimal | None) -> Decimal | None:
    return value.quantize(_RATIO) if value is not None else None


def _pick(
    choose: Callable[[Decimal, Decimal], Decimal], a: Decimal | None, b: Decimal | None
) -> Decimal | None:
    if a is None or b is None:
        return a if b is None else b
    return choose(a, b)
